"""Shared pieces of the page tests: cheap password hashing, a browser signed in as someone, and
the CSRF token a page's forms carry."""

from __future__ import annotations

import re
import secrets
from html.parser import HTMLParser

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from tests.apps import app_for
from tests.support import PASSWORD
from torekes.kit import security
from torekes.settings import Settings

BASE = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with the cheapest parameters: these tests sign in often."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert found is not None, page
    return found.group(1)


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden fields of the page's form (its CSRF token, a one-time key), as a browser sends
    them back."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


class _Forms(HTMLParser):
    """The forms of a page: each one's action and the fields a browser sends without typing."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form" and found.get("method", "get").lower() == "post":
            self.forms.append((found.get("action", ""), {}))
        elif tag == "input" and self.forms and found.get("type") == "hidden" and "name" in found:
            self.forms[-1][1][found["name"]] = found.get("value", "")


def post_forms(page: str) -> list[tuple[str, dict[str, str]]]:
    """Every form of the page that posts: its action and its hidden fields."""
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, one-time key, ...) of the page's form that posts to
    ``action``; for an action the page has no form for, its CSRF token and a fresh key, as a
    form drawn a moment ago would carry."""
    for found, fields in post_forms(page):
        if found == action:
            return fields
    return {"csrf_token": csrf_of(page), "key": secrets.token_urlsafe(24)}


def new_form(page: str) -> dict[str, str]:
    """What a form of the page, drawn a moment ago, carries hidden: the page's CSRF token and a
    fresh one-time key."""
    return {"csrf_token": csrf_of(page), "key": secrets.token_urlsafe(24)}


def signed_in(settings: Settings, username: str) -> TestClient:
    """A fresh browser, signed in through the sign-in page (use it as a context manager)."""
    client = TestClient(app_for(settings), base_url=BASE)
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client
