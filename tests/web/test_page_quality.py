"""What every page owes a phone and a screen reader, checked on every page each demo role can open:
the language and direction on the root, one main landmark and one first-level heading, a label for
every field, a name for every image and button, and a weight a slow connection can carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from tests.web.demo_scene import Scene, build, page_routes
from torekes.db.engine import Database
from torekes.settings import Settings

# A page with a sheet of QR codes is a print job; the others must stay light.
MAX_PAGE_BYTES = 60_000
MAX_SHEET_BYTES = 400_000
MAX_ASSET_BYTES = 30_000  # the styles and scripts a page loads, together
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Findings:
    """What one page's HTML holds that the checks need."""

    html_attrs: dict[str, str | None] = field(default_factory=dict)
    mains: int = 0
    h1s: int = 0
    label_for: set[str] = field(default_factory=set)
    fields: list[dict[str, str | None]] = field(default_factory=list)
    fields_in_labels: int = 0
    unnamed: list[str] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


class PageReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found = Findings()
        self._label_depth = 0
        self._button: dict[str, str | None] | None = None
        self._button_text = ""
        self._svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        found = self.found
        if tag == "html":
            found.html_attrs = attributes
        elif tag == "main":
            found.mains += 1
        elif tag == "h1":
            found.h1s += 1
        elif tag == "label":
            self._label_depth += 1
            if attributes.get("for"):
                found.label_for.add(str(attributes["for"]))
        elif tag in {"input", "select", "textarea"}:
            if attributes.get("type") not in UNLABELLED_TYPES:
                found.fields.append(attributes)
                if self._label_depth:
                    found.fields_in_labels += 1
        elif tag == "img" and not attributes.get("alt"):
            found.unnamed.append(f"img {attributes.get('src')}")
        elif tag == "button":
            self._button, self._button_text = attributes, ""
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            found.stylesheets.append(str(attributes.get("href")))
        elif tag == "script" and attributes.get("src"):
            found.scripts.append(str(attributes["src"]))
        if attributes.get("role") == "img" and not (
            attributes.get("aria-label") or attributes.get("aria-labelledby")
        ):
            found.unnamed.append(f"{tag} role=img")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth -= 1
        elif tag == "button" and self._button is not None:
            if not (self._button_text.strip() or self._button.get("aria-label")):
                found_id = self._button.get("id") or self._button.get("name")
                self.found.unnamed.append(f"button {found_id}")
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button_text += data


def read(page: str) -> Findings:
    reader = PageReader()
    reader.feed(page)
    return reader.found


@pytest.fixture
def scene(db: Database, settings: Settings) -> Scene:
    return build(db, settings)


@pytest.mark.parametrize("username", ["fatima", "bakker", "coord", "admin", "auditor", None])
def test_every_page_is_labelled_named_and_light(scene: Scene, username: str | None) -> None:
    pages = [path for method, path in page_routes() if method == "GET"]
    checked = 0
    with scene.browser(username) as browser:
        for template in pages:
            response = browser.get(scene.path(template))
            if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
                continue
            checked += 1
            found = read(response.text)
            where = f"{username} {template}"
            assert found.html_attrs.get("lang") in {"nl", "en"}, where
            assert found.html_attrs.get("dir") in {"ltr", "rtl"}, where
            assert (found.mains, found.h1s) == (1, 1), where
            unlabelled = [
                attrs.get("name")
                for attrs in found.fields
                if attrs.get("id") not in found.label_for
                and not attrs.get("aria-label")
                and not attrs.get("aria-labelledby")
            ]
            assert len(unlabelled) <= found.fields_in_labels, (where, unlabelled)
            assert found.unnamed == [], where
            limit = MAX_SHEET_BYTES if template.startswith("/sheets/") else MAX_PAGE_BYTES
            assert len(response.content) <= limit, (where, len(response.content))
            assets = [browser.get(asset) for asset in found.stylesheets + found.scripts]
            assert all(asset.status_code == 200 for asset in assets), where
            assert sum(len(asset.content) for asset in assets) <= MAX_ASSET_BYTES, where
    assert checked >= 3
