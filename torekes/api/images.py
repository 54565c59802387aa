"""QR images of the URLs the service hands out, as SVG or PNG, with their documented responses."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi.responses import Response

from torekes.api.routes.common import READ
from torekes.documents import qr

# A QR image holds its code: browsers keep none (the server caches the rendering itself).
IMAGE_CACHE = "no-store"


class ImageFormat(StrEnum):
    SVG = "svg"
    PNG = "png"


MEDIA_TYPES = {ImageFormat.SVG: "image/svg+xml", ImageFormat.PNG: "image/png"}
IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ,
    200: {
        "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
        "description": "The QR image",
    },
}


def qr_image(url: str, image_format: ImageFormat) -> Response:
    content = qr.svg(url) if image_format is ImageFormat.SVG else qr.png(url)
    return Response(
        content, media_type=MEDIA_TYPES[image_format], headers={"Cache-Control": IMAGE_CACHE}
    )
