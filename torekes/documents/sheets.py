"""Printable pages, HTML with print CSS: the sheet of a batch of claim codes (one cell per code)
and a member card at bank-card size."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from torekes.documents import qr
from torekes.earning.read_models import ActivityView, BatchView, ProjectView
from torekes.spending.read_models import CardView


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("torekes.documents", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def reward_text(activity: ActivityView, currency: str) -> str:
    if activity.reward_kind == "per_hour":
        hours = "" if activity.max_hours is None else f" (up to {_plain(activity.max_hours)} h)"
        return f"{activity.reward_amount} {currency} per hour{hours}"
    return f"{activity.reward_amount} {currency}"


def _plain(number: Decimal) -> str:
    """4.00 as "4", 2.50 as "2.5", 10 as "10" (never "1E+1")."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class SheetCell:
    """One code on a printed sheet: its QR (of its claim URL) and what is written under it."""

    qr: Markup
    short_code: str
    position: int
    revoked: bool
    used_up: bool
    uses: int
    max_uses: int


def sheet_cells(batch: BatchView) -> list[SheetCell]:
    """Every code of the batch as a cell, in print order; the API sheet and the coordinator's
    page both print these."""
    return [
        SheetCell(
            qr=Markup(qr.inline_svg(code.url)),  # noqa: S704 - SVG made by qrcode, not user text
            short_code=code.short_code,
            position=code.position,
            revoked=code.revoked,
            used_up=code.uses >= code.max_uses,
            uses=code.uses,
            max_uses=code.max_uses,
        )
        for code in batch.codes
    ]


def render_sheet(batch: BatchView, activity: ActivityView, project: ProjectView) -> str:
    return (
        _templates()
        .get_template("code_sheet.html")
        .render(
            batch=batch,
            activity=activity,
            project=project,
            reward=reward_text(activity, project.currency),
            cards=sheet_cells(batch),
        )
    )


def render_card(card: CardView) -> str:
    qr_image = Markup(qr.inline_svg(card.url))  # noqa: S704 - SVG made by qrcode, not user text
    return _templates().get_template("member_card.html").render(card=card, qr=qr_image)
