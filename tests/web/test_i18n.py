"""The catalogues: every text on the pages is translated into Dutch, and the language choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from tests.apps import app_for
from tests.web.conftest import BASE
from torekes.kit import languages
from torekes.settings import Settings
from torekes.web import i18n, templating

ROOT = Path(__file__).resolve().parents[2]


def _template_folders() -> list[str]:
    """Every folder of templates in the package (pages and printed documents alike)."""
    return sorted(
        str(folder.relative_to(ROOT))
        for folder in (ROOT / "torekes").rglob("templates")
        if folder.is_dir()
    )


def _page_texts() -> set[str]:
    """Every text marked for translation: in every template folder, and in every Python file
    of the package (``_``, ``gettext``, ``ngettext`` and ``N_``)."""
    templates = [f"{folder}/**.html" for folder in _template_folders()]
    method_map = [(pattern, "jinja2") for pattern in templates] + [("torekes/**.py", "python")]
    options = {pattern: {"extensions": "jinja2.ext.i18n"} for pattern in templates}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_the_catalogue_test_reads_every_template_folder() -> None:
    assert _template_folders() == ["torekes/documents/templates", "torekes/web/templates"]


def test_every_text_of_the_pages_has_its_dutch_translation() -> None:
    texts = _page_texts()
    # One from the pages, one from a printed document, one from the words the system writes.
    assert {
        "Sign in",
        "Found? Bring it to the neighbourhood counter.",
        "Payment to %(shop)s",
    } <= texts
    with i18n.catalogue_file("nl").open("rb") as source:
        catalog = read_po(source)
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id and message.string
    }
    assert texts - translated == set()


@pytest.mark.parametrize(
    ("chosen", "header", "expected"),
    [
        (None, None, "nl"),
        (None, "en", "en"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "fr-BE, nl-BE;q=0.8, en;q=0.7", "nl"),
        (None, "nl;q=0.2, en;q=0.9", "en"),
        (None, "en;q=0", "nl"),
        (None, "en;q=oops", "nl"),
        (None, "en;q=nan", "nl"),
        (None, "en;q=2, nl;q=0.5", "nl"),
        (None, "EN-gb", "en"),
        ("en", "nl", "en"),
        ("xx", "en", "en"),
    ],
)
def test_the_language_is_the_choice_then_the_browser_then_dutch(
    chosen: str | None, header: str | None, expected: str
) -> None:
    assert i18n.choose(chosen, header) == expected


def test_right_to_left_languages_are_known_by_their_direction() -> None:
    assert i18n.language("ar").direction == "rtl"
    assert i18n.language("nl").direction == "ltr"
    assert i18n.language("nl").name == "Nederlands"


def test_adding_a_catalogue_adds_a_language_and_arabic_reads_right_to_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    for code in ("nl", "en"):
        (tmp_path / code).symlink_to(i18n.LOCALE_DIR / code)
    arabic = tmp_path / "ar" / "LC_MESSAGES"
    arabic.mkdir(parents=True)
    (arabic / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Sign in"\nmsgstr "تسجيل الدخول"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(languages, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "LANGUAGES", ("nl", "en", "ar"))
    _forget_compiled_catalogues()
    try:
        with TestClient(app_for(settings), base_url=BASE) as browser:
            page = browser.get("/login", headers={"Accept-Language": "ar, en;q=0.5"}).text
            dutch = browser.get("/login").text
    finally:
        _forget_compiled_catalogues()
    assert '<html lang="ar" dir="rtl">' in page
    assert "<h1>تسجيل الدخول</h1>" in page
    assert "العربية" in dutch  # offered in the language switch, in its own name
    assert '<html lang="nl" dir="ltr">' in dutch


def _forget_compiled_catalogues() -> None:
    i18n.translations.cache_clear()
    templating.environment.cache_clear()
