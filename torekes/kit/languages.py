"""The catalogues every text a person reads comes from: pages, printed documents, bank files.

A language has a code (``nl``, ``en``: the catalogue under ``torekes/web/locale/<code>``), writes
numbers as the language does (``number_locale``) and dates as Belgium does (``locale_of``:
``nl_BE``, ``en_BE``). Catalogues are compiled in
memory when first needed. Texts are marked with ``N_`` where they are defined (so the catalogue
test finds them) and translated where they are shown; ``gettext_for`` gives the translating
function of a language for code outside the pages.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel import localedata, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from torekes.kit.negotiation import choices

LOCALE_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
# Dates and numbers are written as in Belgium, in either language.
REGION = "BE"

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker for extraction
    """Mark a text for translation where it is defined; it is translated when shown."""
    return message


def number_locale(code: str) -> str:
    """The Babel locale that writes a language's numbers: the language's own, so that English
    writes ``1,000.50`` and Dutch ``1.000,50``, as the pages' amount reader reads them back
    (Belgium's English, ``en_BE``, would write ``1.000,50`` and be read as one thousandth)."""
    return code


def locale_of(code: str) -> str:
    """The Babel locale that writes a language's dates and times as Belgium does: ``nl`` is
    ``nl_BE`` (a language Belgium has no locale for writes as the language does everywhere)."""
    regional = f"{code}_{REGION}"
    return regional if localedata.exists(regional) else code


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


def gettext_for(code: str) -> Gettext:
    """The translating function of a language (the default one for a language we do not have)."""
    return translations(code if code in LANGUAGES else DEFAULT_LANGUAGE).gettext


def negotiated(
    chosen: str | None, accept_language: str | None, languages: tuple[str, ...] = LANGUAGES
) -> str:
    """The reader's language: their choice if we have it, else the best match of what their
    browser accepts (``Accept-Language``), else the default."""
    if chosen in languages:
        assert chosen is not None
        return chosen
    preferred = [
        choice.value.replace("-", "_")
        for choice in choices(accept_language or "")
        if choice.quality > 0 and choice.value != "*"
    ]
    return negotiate_locale(preferred, list(languages)) or DEFAULT_LANGUAGE
