"""Printable pages, HTML with print CSS: the sheet of a batch of claim codes (one cell per code)
and a member card at bank-card size, each in the reader's language from the pages' catalogues,
with dates and numbers as Belgium writes them (see ``torekes.kit.wording``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from torekes.documents import qr
from torekes.earning.read_models import ActivityView, BatchView, ProjectView
from torekes.kit import wording
from torekes.kit.languages import gettext_for, number_locale, translations
from torekes.spending.read_models import CardView


@cache
def _templates(code: str) -> Environment:
    env = Environment(
        loader=PackageLoader("torekes.documents", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(code), newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = code
    env.filters["moment"] = lambda when, zone: wording.moment_text(when, code, zone)
    return env


def reward_text(activity: ActivityView, currency: str, decimals: int, code: str) -> str:
    """What a code pays, in the language ``code``: "5,00 TRK per uur, hoogstens 4 uur"."""
    _ = gettext_for(code)
    amount = wording.amount_text(activity.reward_amount, decimals, code)
    if activity.reward_kind == "per_hour":
        if activity.max_hours is None:
            return _("%(amount)s %(currency)s per hour") % {"amount": amount, "currency": currency}
        return _("%(amount)s %(currency)s per hour, at most %(hours)s hours") % {
            "amount": amount,
            "currency": currency,
            "hours": format_decimal(activity.max_hours, locale=number_locale(code)),
        }
    return _("%(amount)s %(currency)s per claim") % {"amount": amount, "currency": currency}


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


@dataclass(frozen=True, slots=True)
class Reader:
    """Who a document is printed for: their language and the time zone of its dates."""

    language: str
    zone: str


def render_sheet(
    batch: BatchView, activity: ActivityView, project: ProjectView, decimals: int, reader: Reader
) -> str:
    return (
        _templates(reader.language)
        .get_template("code_sheet.html")
        .render(
            batch=batch,
            activity=activity,
            project=project,
            reward=reward_text(activity, project.currency, decimals, reader.language),
            cards=sheet_cells(batch),
            zone=reader.zone,
        )
    )


def render_card(card: CardView, reader: Reader) -> str:
    qr_image = Markup(qr.inline_svg(card.url))  # noqa: S704 - SVG made by qrcode, not user text
    return (
        _templates(reader.language)
        .get_template("member_card.html")
        .render(card=card, qr=qr_image, zone=reader.zone)
    )
