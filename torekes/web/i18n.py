"""Languages of the pages: gettext catalogues read with Babel, and the choice of language.

Catalogues are the ``.po`` files under ``locale/<code>/LC_MESSAGES/messages.po``, compiled in
memory when first needed, so adding a language is adding its catalogue to ``LANGUAGES``. The
language is the one the person chose (a cookie), else the best match of the browser's
``Accept-Language``, else Dutch. Each language knows its writing direction, so Arabic pages are
laid out right to left.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from torekes.kit.negotiation import choices

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LANGUAGE_COOKIE = "torekes_lang"


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    name: str  # in the language itself, for the language switch
    direction: str  # "ltr" or "rtl"


@cache
def language(code: str) -> Language:
    locale = Locale.parse(code)
    return Language(code, locale.get_display_name(locale) or code, locale.text_direction)


@cache
def translations(code: str) -> Translations:
    """The compiled catalogue of a language (an empty one for the source language's texts)."""
    path = catalogue_file(code)
    if not path.exists():
        return Translations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=code)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def catalogue_file(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"


def choose(chosen: str | None, accept_language: str | None) -> str:
    """The page language: the person's choice if we have it, else the browser's best match."""
    if chosen in LANGUAGES:
        return chosen
    preferred = [
        choice.value.replace("-", "_")
        for choice in choices(accept_language or "")
        if choice.quality > 0 and choice.value != "*"
    ]
    return negotiate_locale(preferred, list(LANGUAGES)) or DEFAULT_LANGUAGE
