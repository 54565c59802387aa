"""The service as operators run it (``torekes serve`` with N workers), started for a benchmark on
a free port with only the settings the benchmark names, and always stopped afterwards. The
process itself is handled as the end-to-end tests handle theirs (``tests.servers``)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import Server, free_port, running, server_env, start, torekes_serve

STARTUP_DEADLINE_SECONDS = 60.0
BENCH_SECRET_KEY = "bench-secret-key-not-for-production-0123456789"


@contextmanager
def serving(database_url: str, workers: int, **settings: str) -> Iterator[Server]:
    """``torekes serve --workers N`` on ``database_url``, answering ``/healthz``.

    The server has none of the caller's ``TOREKES_`` settings, but the benchmark's secret key
    (tokens made in-process must verify in the server) and ``settings``. Logging stays at the
    production default: warnings only, no access lines."""
    env = server_env(
        **{
            "TOREKES_DATABASE_URL": database_url,
            "TOREKES_SECRET_KEY": BENCH_SECRET_KEY,
            "TOREKES_LOG_LEVEL": "WARNING",
            "TOREKES_ACCESS_LOG": "false",
            **settings,
        }
    )
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="torekes-bench-server-") as folder:
        started = start(torekes_serve(port, workers), port, env, Path(folder))
        with running(started, "/healthz", STARTUP_DEADLINE_SECONDS) as server:
            yield server
