"""Shared pieces of the page tests: cheap password hashing, a browser signed in as someone, and
the CSRF token a page's forms carry."""

from __future__ import annotations

import re

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
