"""No page address answers JSON: this test walks every page route and sends what FastAPI itself
refuses before a page runs (an unknown id, a path part too long, an unknown address, the wrong
method, a form field over its limit), in Dutch and in English, and finds each time a page in that
language with the status the refusal has, and the headers every page gets. The API keeps its
``application/problem+json`` answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from annotated_types import MaxLen
from fastapi.dependencies.models import Dependant
from fastapi.testclient import TestClient
from httpx2 import Response

from tests.web.conftest import csrf_of
from tests.web.demo_scene import Scene, _flattened, build, page_routes
from torekes.app import build_app
from torekes.db.engine import Database
from torekes.settings import Settings

NOT_A_PAGE = {"nl": "Deze pagina bestaat niet.", "en": "This page does not exist."}
# A page's own 404 (a code that names nothing) says so in its words, and leads to the wallet.
# Where a refusal page leads back to: a member's wallet, another role's start page.
BACK = {
    "nl": ("Naar mijn portemonnee", "Naar de startpagina"),
    "en": ("To my wallet", "To the start page"),
}
WRONG_WAY = {"nl": "Deze pagina open je niet zo", "en": "This page cannot be opened this way"}
TOO_LONG = {"nl": "Hoogstens {} tekens.", "en": "At most {} characters."}
# The till's script asks its status as JSON; it answers JSON whatever happens.
SCRIPT_ROUTES = {"/till/{code}/status"}
# A language the pages do not know leads back without choosing one: no address of it is unknown.
ANY_PART = {"/language/{code}"}
LANGUAGES = ("nl", "en")


@pytest.fixture
def scene(db: Database, settings: Settings) -> Scene:
    return build(db, settings)


def _who(path: str) -> str | None:
    """Whom the page is for, so that the refusal is about the request, not the person."""
    if path.startswith(("/login", "/language")):
        return None
    if path.startswith(("/till", "/shop", "/counter")):
        return "bakker"
    if path.startswith(("/projects", "/activities", "/sheets")):
        return "coord"
    if path.startswith("/admin"):
        return "admin"
    return "fatima"


def _is_page(answer: Response, lang: str, status: int, *words: str) -> None:
    """A page in ``lang`` with ``status`` that says one of ``words``."""
    assert answer.status_code == status, (answer.request.url, answer.text)
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    assert f'<html lang="{lang}"' in answer.text
    assert any(said in answer.text for said in words), (answer.request.url, answer.text)
    assert answer.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" in answer.headers


def _browsers(scene: Scene) -> Iterator[tuple[str | None, TestClient]]:
    for who in (None, "fatima", "bakker", "coord", "admin"):
        yield who, scene.browser(who)


def _unknown(path: str) -> list[str]:
    """Addresses of the route's shape that name no page: an id that is no number, one beyond
    every id, a code longer than any; and for a route without parts, a path below it."""
    parts = re.findall(r"\{([a-z_]+)\}", path)
    if not parts:
        return [path.rstrip("/") + "/nothing-here"]
    found = []
    for wrong in ("abc", "9" * 30, "x" * 101):
        values = {part: wrong if part.endswith("_id") else "x" * 101 for part in parts}
        found.append(path.format(**values))
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_unknown_addresses_and_ids_are_a_404_page(scene: Scene, lang: str) -> None:
    headers = {"Accept-Language": lang}
    routes = sorted({path for _, path in page_routes()} - SCRIPT_ROUTES - ANY_PART)
    browsers = dict(_browsers(scene))
    addresses = [a for path in routes for a in _unknown(path)]
    addresses += ["/nothing-here", "/k/no-such-card", "/projects/1/nothing", "/static/none.css"]
    for address in addresses:
        who = _who(address)
        browser = browsers[who]
        token = csrf_of(browser.get("/login" if who is None else "/").text)
        for method in ("GET", "POST"):
            answer = browser.request(
                method,
                address,
                headers=headers,
                data={"csrf_token": token} if method == "POST" else None,
                follow_redirects=False,
            )
            if answer.status_code == 405:  # the id is checked on the method the path takes
                continue
            _is_page(answer, lang, 404, NOT_A_PAGE[lang], *BACK[lang])
    for address in ("/nothing-here", "/k/no-such-card", "/projects/abc", "/till/" + "x" * 101):
        answer = browsers["bakker"].get(address, headers=headers)
        _is_page(answer, lang, 404, NOT_A_PAGE[lang])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_wrong_method_is_a_405_page_that_says_which_it_takes(scene: Scene, lang: str) -> None:
    routes: dict[str, set[str]] = {}
    for method, path in page_routes():
        routes.setdefault(path, set()).add(method)
    browser = scene.browser("fatima")
    for path, methods in routes.items():
        if path in SCRIPT_ROUTES:
            continue
        wrong = next(m for m in ("GET", "POST", "PUT") if m not in methods)
        address = scene.path(path)
        answer = browser.request(wrong, address, headers={"Accept-Language": lang})
        _is_page(answer, lang, 405, WRONG_WAY[lang])
        assert set(answer.headers["allow"].replace(" ", "").split(",")) & methods


def _form_fields(dependant: Dependant) -> Iterator[tuple[str, int | None, bool]]:
    """The form fields a route reads, with their longest length and whether it must be sent,
    through its dependencies."""
    for found in dependant.body_params:
        rules = found.field_info.metadata
        longest = [rule.max_length for rule in rules if isinstance(rule, MaxLen)]
        if "list" in str(found.field_info.annotation):  # its limit is on how many are sent
            longest = []
        yield found.alias, longest[0] if longest else None, found.field_info.is_required()
    for sub in dependant.dependencies:
        yield from _form_fields(sub)


def _form_routes() -> list[tuple[str, list[tuple[str, int | None, bool]]]]:
    return sorted(
        (route.path, list(_form_fields(route.dependant)))
        for route in _flattened(build_app().router.routes)
        if "POST" in (route.methods or ()) and route.endpoint.__module__.startswith("torekes.web.")
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_form_field_over_its_limit_is_a_page_that_says_the_limit(scene: Scene, lang: str) -> None:
    browsers = dict(_browsers(scene))
    walked = 0
    for path, fields in _form_routes():
        browser = browsers[_who(path)]
        drawn = browser.get("/login" if _who(path) is None else "/")
        required = {name: "1" for name, _, must in fields if must}
        for name, longest, _ in fields:
            if longest is None:
                continue
            sent = {**required, "csrf_token": csrf_of(drawn.text), name: "7" * (longest + 1)}
            answer = browser.post(scene.path(path), data=sent, headers={"Accept-Language": lang})
            _is_page(answer, lang, 422, TOO_LONG[lang].format(longest))
            walked += 1
    assert walked > 60


def test_the_api_and_the_tills_script_keep_their_json(scene: Scene) -> None:
    browser = scene.browser("bakker")
    for address in ("/api/v1/nothing", "/api/v1/accounts/abc", "/till/" + "x" * 101 + "/status"):
        answer = browser.get(address, headers={"Accept-Language": "nl"})
        assert answer.headers["content-type"] in {"application/problem+json", "application/json"}
        assert answer.status_code in {401, 404, 422}
    wrong = browser.post("/api/v1/auth/me", headers={"Accept-Language": "nl"})
    assert wrong.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_form_too_large_to_send_is_a_413_page(scene: Scene, lang: str) -> None:
    browser = scene.browser("bakker")
    token = csrf_of(browser.get("/till").text)
    answer = browser.post(
        "/till",
        data={"csrf_token": token, "memo": "m" * (2 * 1024 * 1024)},
        headers={"Accept-Language": lang},
    )
    said = {"nl": "Wat dit formulier verstuurde is te groot.", "en": "What this form sent is too"}
    _is_page(answer, lang, 413, said[lang])


def test_every_template_says_a_refusal_with_the_values_it_names() -> None:
    """A refusal's words name values ("between 0,02 and 4 hours"): a template that translated
    them without their values would fail to draw, so every template says them through the one
    macro that passes them (``macros.said``)."""
    templates = Path(__file__).resolve().parents[2] / "torekes" / "web" / "templates"
    saying = re.compile(r"_\(\s*(message|refusal\.message)\b")
    unsaid = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if path != templates / "macros.html" and saying.search(path.read_text(encoding="utf-8"))
    ]
    assert unsaid == []
    assert len(saying.findall((templates / "macros.html").read_text(encoding="utf-8"))) == 1
