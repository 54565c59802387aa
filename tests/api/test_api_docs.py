"""The interactive API documentation and its schema are served in development and, in
production, only when ``TOREKES_API_DOCS`` asks for them; otherwise they answer 404 as an unknown
path does, and everything else is served as before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.apps import app_for
from torekes.settings import Environment, Settings

DOCUMENTATION = ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"]


def production(settings: Settings, **overrides: object) -> Settings:
    return Settings(
        **{
            **settings.model_dump(),
            "environment": Environment.PRODUCTION,
            "public_base_url": "https://torekes.example",
            **overrides,
        }
    )


@pytest.mark.parametrize("path", DOCUMENTATION)
def test_development_serves_the_documentation(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", DOCUMENTATION)
def test_production_hides_the_documentation(settings: Settings, path: str) -> None:
    with TestClient(app_for(production(settings))) as client:
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "not_found"
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/accounts").status_code == 401


@pytest.mark.parametrize("path", DOCUMENTATION)
def test_production_serves_the_documentation_when_asked(settings: Settings, path: str) -> None:
    with TestClient(app_for(production(settings, api_docs=True))) as client:
        assert client.get(path).status_code == 200


def test_development_can_hide_the_documentation(settings: Settings) -> None:
    hidden = Settings(**{**settings.model_dump(), "api_docs": False})
    with TestClient(app_for(hidden)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
