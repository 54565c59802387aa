"""The client address behind a reverse proxy, with a real ``torekes serve`` process: the
address in ``X-Forwarded-For`` counts only when the connection comes from a trusted proxy
(``FORWARDED_ALLOW_IPS``); from anyone else the header is ignored, so a guesser cannot pick a
fresh address for each try."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

from tests.servers import free_port, running, server_env, start, torekes_serve
from tests.support import PASSWORD, Ledger
from torekes.domain.access import Role
from torekes.settings import Settings

FAILURES = 3


@contextmanager
def _serving(settings: Settings, tmp_path: Path, trusted: str) -> Iterator[httpx2.Client]:
    env = server_env(
        TOREKES_DATABASE_URL=settings.database_url,
        TOREKES_SECRET_KEY=settings.secret_key,
        TOREKES_LOGIN_MAX_FAILURES=str(FAILURES),
        FORWARDED_ALLOW_IPS=trusted,
    )
    port = free_port()
    with (
        running(start(torekes_serve(port), port, env, tmp_path), "/healthz") as server,
        httpx2.Client(base_url=server.base_url, timeout=30.0) as http,
    ):
        yield http


def _sign_in(http: httpx2.Client, username: str, password: str, forwarded_for: str) -> int:
    response = http.post(
        "/api/v1/auth/token",
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def test_a_trusted_proxys_forwarded_address_is_the_client(
    ledger: Ledger, settings: Settings, tmp_path: Path
) -> None:
    username = ledger.user(Role.MEMBER).principal.username
    with _serving(settings, tmp_path, trusted="127.0.0.1") as http:
        guesses = [_sign_in(http, username, "guess-again", "203.0.113.5") for _ in range(4)]
        assert guesses == [401] * FAILURES + [429]
        assert _sign_in(http, username, PASSWORD, "203.0.113.5") == 429
        assert _sign_in(http, username, PASSWORD, "198.51.100.8") == 200


def test_an_untrusted_senders_forwarded_header_is_ignored(
    ledger: Ledger, settings: Settings, tmp_path: Path
) -> None:
    username = ledger.user(Role.MEMBER).principal.username
    with _serving(settings, tmp_path, trusted="192.0.2.250") as http:
        guesses = [_sign_in(http, username, "guess-again", f"203.0.113.{n}") for n in range(1, 5)]
        assert guesses == [401] * FAILURES + [429]
        assert _sign_in(http, username, PASSWORD, "198.51.100.8") == 429
