"""Rendering pages: one Jinja2 environment per language, with gettext and number and date
formats of that language as written in Belgium (``nl_BE``, ``en_BE``), and ``new_key()``, a fresh
one-time key for each form that writes."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from torekes.kit import wording
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
    # What the system writes about money, from kinds and parameters (``torekes.kit.wording``).
    env.filters["describe"] = lambda description: wording.describe(description, code)
    env.filters["account_name"] = lambda naming: wording.account_name(naming, code)
    env.filters["kind_name"] = lambda kind: wording.kind_name(kind, code)
    return env


def format_amount(minor: int, decimals: int, code: str) -> str:
    """Minor units as the language writes numbers: 1250 with two decimals is 12,50 in Dutch."""
    return wording.amount_text(minor, decimals, code)


def format_moment(moment: datetime, code: str, zone: str) -> str:
    return wording.moment_text(moment, code, zone)
