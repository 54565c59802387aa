"""The reliability suite's shared pieces: how long to push (bounded in ``make test``; longer with
``TOREKES_RELIABILITY_SCALE``) and a real server with two worker processes on the test's database
(SQLite, or PostgreSQL when ``TOREKES_TEST_DATABASE_URL`` is set)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, serving_app
from torekes.settings import Settings


@pytest.fixture(scope="session")
def scale() -> float:
    """How much longer or harder than the bounded default to push: 1 in ``make test``, e.g. 20
    for a long run (``TOREKES_RELIABILITY_SCALE=20 pytest tests/reliability``)."""
    value = float(os.environ.get("TOREKES_RELIABILITY_SCALE", "1"))
    assert value > 0, "TOREKES_RELIABILITY_SCALE must be positive"
    return value


@pytest.fixture
def two_workers(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Server]:
    with serving_app(database_url, settings.secret_key, tmp_path, workers=2) as started:
        yield started
