"""QR images of URLs, as SVG (a single path) and PNG, with error correction level M and the
standard four-module quiet zone. Images of a URL never change, so they are cached."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from qrcode.image.base import BaseImage
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage

QUIET_ZONE_MODULES = 4
PNG_MODULE_PIXELS = 8


def _code(url: str, factory: type[BaseImage]) -> bytes:
    qr: qrcode.QRCode[BaseImage] = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=QUIET_ZONE_MODULES,
        box_size=PNG_MODULE_PIXELS,
        image_factory=factory,
    )
    qr.add_data(url)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image().save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=4096)
def svg(url: str) -> bytes:
    return _code(url, SvgPathImage)


@lru_cache(maxsize=1024)
def png(url: str) -> bytes:
    return _code(url, PyPNGImage)


def inline_svg(url: str) -> str:
    """The SVG without its XML declaration, to place inside an HTML page."""
    text = svg(url).decode()
    return text[text.index("<svg") :]
