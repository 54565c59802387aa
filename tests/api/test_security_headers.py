"""Every answer tells the browser how to treat it: scripts only from the service itself, no
framing, no content-type guessing, no referrer, nothing stored when it carries a code, a balance
or personal data, and HSTS once the public address is https."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.api.helpers import API
from torekes.app import create_app
from torekes.domain.access import Role
from torekes.settings import Settings

ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _dynamic_answers(client: TestClient, world: World) -> dict[str, dict[str, str]]:
    code = world.earning.batch.codes[1]
    coordinator = world.headers(Role.COORDINATOR)
    answers = {
        "a page": client.get("/login"),
        "a refused page": client.get("/wallet", follow_redirects=False),
        "an API answer": client.get(f"{API}/users/me", headers=world.admin.headers),
        "a problem": client.get(f"{API}/accounts/999999", headers=world.admin.headers),
        "a QR image": client.get(f"{API}/claim-codes/{code.id}/qr.svg", headers=coordinator),
        "the health check": client.get("/healthz"),
    }
    return {name: dict(response.headers) for name, response in answers.items()}


def test_every_dynamic_answer_is_protected_and_never_stored(
    client: TestClient, world: World
) -> None:
    for name, headers in _dynamic_answers(client, world).items():
        for header, value in ALWAYS.items():
            assert headers.get(header) == value, (name, header, headers)
        policy = headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, (name, headers)
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0], name
        assert "frame-ancestors 'none'" in policy, (name, headers)
        assert headers.get("cache-control") == "no-store", (name, headers)
        assert "strict-transport-security" not in headers, (name, headers)


def test_static_files_may_be_cached_but_are_protected(client: TestClient) -> None:
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.headers.get("cache-control") != "no-store"
    for header, value in ALWAYS.items():
        assert response.headers.get(header) == value, header


@pytest.fixture
def https_client(settings: Settings) -> Iterator[TestClient]:
    public = settings.model_copy(update={"public_base_url": "https://torekes.example.org"})
    with TestClient(create_app(public)) as client:
        yield client


def test_https_installations_ask_for_https_only(https_client: TestClient) -> None:
    for path in ("/login", "/healthz", "/static/site.css"):
        response = https_client.get(path)
        assert response.headers.get("strict-transport-security", "").startswith("max-age="), path
