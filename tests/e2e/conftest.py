"""The end-to-end tests' server: uvicorn serving the app over TCP on the test's own database,
with one worker process or two."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.servers import Server, serving_app
from torekes.settings import Settings


@pytest.fixture
def server(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Server]:
    with serving_app(database_url, settings.secret_key, tmp_path, workers=1) as started:
        yield started


@pytest.fixture
def two_workers(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Server]:
    with serving_app(database_url, settings.secret_key, tmp_path, workers=2) as started:
        yield started


@pytest.fixture
def http(server: Server) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=server.base_url, timeout=30.0) as client:
        yield client
