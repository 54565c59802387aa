"""The committed OpenAPI document is current, and documents idempotency and sign-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from torekes.app import create_app
from torekes.cli import render_openapi
from torekes.settings import Settings

COMMITTED = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
STALE = "openapi/openapi.json is stale: run `make openapi` and commit the result"

# Sign-in exchanges credentials for a new token and sign-out revokes the token it carries: neither
# writes to the ledger through the idempotent writer. Checking a checkpoint writes nothing.
NOT_IDEMPOTENT_POSTS = {
    "/api/v1/auth/token",
    "/api/v1/auth/revoke",
    "/api/v1/audit/checkpoints/check",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("openapi") / "unused.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="s" * 40))
    document: dict[str, Any] = json.loads(render_openapi(app.openapi()))
    return document


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    assert COMMITTED.is_file(), STALE
    document: dict[str, Any] = json.loads(COMMITTED.read_text())
    return document


def test_the_committed_document_is_current(
    rendered: dict[str, Any], committed: dict[str, Any]
) -> None:
    assert committed == rendered, STALE


def test_the_committed_document_is_formatted_by_the_project_command(
    rendered: dict[str, Any],
) -> None:
    assert COMMITTED.read_text() == render_openapi(rendered), STALE


def writing_posts(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, item["post"])
        for path, item in sorted(document["paths"].items())
        if "post" in item and path not in NOT_IDEMPOTENT_POSTS
    ]


def test_there_are_writing_posts(committed: dict[str, Any]) -> None:
    paths = {path for path, _ in writing_posts(committed)}
    assert {"/api/v1/transfers", "/api/v1/issuances", "/api/v1/transactions"} <= paths
    assert set(committed["paths"]) >= NOT_IDEMPOTENT_POSTS


@pytest.mark.parametrize("which", ["committed", "rendered"])
def test_every_writing_post_documents_the_idempotency_key(
    which: str, request: pytest.FixtureRequest
) -> None:
    document: dict[str, Any] = request.getfixturevalue(which)
    missing = []
    for path, operation in writing_posts(document):
        headers = [
            parameter
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "header" and parameter["name"].lower() == "idempotency-key"
        ]
        if len(headers) != 1 or headers[0].get("required", False):
            missing.append(path)
        elif not headers[0].get("description"):
            missing.append(f"{path} (no description)")
    assert not missing, f"POST without an optional, described Idempotency-Key header: {missing}"


def test_bearer_auth_is_the_oauth2_password_flow(committed: dict[str, Any]) -> None:
    schemes = committed["components"]["securitySchemes"]
    oauth2 = [scheme for scheme in schemes.values() if scheme["type"] == "oauth2"]
    assert len(oauth2) == 1, schemes
    assert oauth2[0]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"


def test_protected_operations_name_the_security_scheme(committed: dict[str, Any]) -> None:
    [scheme_name] = committed["components"]["securitySchemes"]
    for path, _operation in writing_posts(committed):
        operation = committed["paths"][path]["post"]
        assert {scheme_name: []} in operation.get("security", []), path
    assert "security" not in committed["paths"]["/healthz"]["get"]
