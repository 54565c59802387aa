"""Rendering pages: one Jinja2 environment per language, with gettext and number and date
formats of that language, and ``new_key()``, a fresh one-time key for each form that writes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, select_autoescape

from torekes.web import i18n
from torekes.web.fields import FIELD_KINDS
from torekes.web.writes import new_key


@cache
def environment(code: str) -> Environment:
    env = Environment(
        loader=PackageLoader("torekes.web", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(code), newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = i18n.language(code)
    env.globals["languages"] = [i18n.language(other) for other in i18n.LANGUAGES]
    env.globals["new_key"] = new_key
    env.globals["field_kinds"] = FIELD_KINDS
    env.filters["amount"] = lambda minor, decimals: format_amount(minor, decimals, code)
    return env


def format_amount(minor: int, decimals: int, code: str) -> str:
    """Minor units as the language writes numbers: 1250 with two decimals is 12,50 in Dutch."""
    whole = Decimal(minor).scaleb(-decimals)
    return format_decimal(
        whole, format="#,##0" + ("." + "0" * decimals if decimals else ""), locale=code
    )


def format_moment(moment: datetime, code: str, zone: str) -> str:
    return format_datetime(moment, format="short", tzinfo=ZoneInfo(zone), locale=code)
