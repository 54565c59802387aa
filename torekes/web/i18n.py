"""Languages of the pages: gettext catalogues read with Babel, and the choice of language.

Catalogues are the ``.po`` files under ``locale/<code>/LC_MESSAGES/messages.po``, read through
``torekes.kit.languages`` (printed documents and bank files use them too), so adding a language
is adding its catalogue to ``LANGUAGES`` there. The
language is the one the person chose (a cookie), else the best match of the browser's
``Accept-Language``, else Dutch. Each language knows its writing direction, so Arabic pages are
laid out right to left.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale

from torekes.kit.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LOCALE_DIR,
    catalogue_file,
    locale_of,
    negotiated,
    number_locale,
    translations,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALE_DIR",
    "Language",
    "catalogue_file",
    "choose",
    "language",
    "locale_of",
    "number_locale",
    "translations",
]
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


def choose(chosen: str | None, accept_language: str | None) -> str:
    """The page language: the person's choice if we have it, else the browser's best match."""
    return negotiated(chosen, accept_language, LANGUAGES)
