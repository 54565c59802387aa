"""The end-to-end tests' server: uvicorn serving the app over TCP on the test's own database,
with one worker process or two."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.servers import Server, free_port, running, server_env, start, uvicorn
from torekes.settings import Settings


def _serve(database_url: str, settings: Settings, workdir: Path, workers: int) -> Iterator[Server]:
    env = server_env(TOREKES_DATABASE_URL=database_url, TOREKES_SECRET_KEY=settings.secret_key)
    port = free_port()
    with running(start(uvicorn(port, workers), port, env, workdir), "/healthz") as server:
        yield server


@pytest.fixture
def server(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Server]:
    yield from _serve(database_url, settings, tmp_path, workers=1)


@pytest.fixture
def two_workers(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Server]:
    yield from _serve(database_url, settings, tmp_path, workers=2)


@pytest.fixture
def http(server: Server) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.base_url, timeout=30.0) as client:
        yield client
