"""The service as operators run it (``torekes serve`` with N workers), started for a benchmark on
a free port with only the settings the benchmark names, and always stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

STARTUP_DEADLINE_SECONDS = 60.0
BENCH_SECRET_KEY = "bench-secret-key-not-for-production-0123456789"


@dataclass(frozen=True, slots=True)
class Server:
    base_url: str
    workers: int
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_environment(database_url: str, **values: str) -> dict[str, str]:
    """The process environment without the caller's ``TOREKES_`` settings, plus the database,
    the benchmark's secret key (tokens made in-process must verify in the server) and
    ``values``. Logging stays at the production default: warnings only, no access lines."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TOREKES_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        TOREKES_DATABASE_URL=database_url,
        TOREKES_SECRET_KEY=BENCH_SECRET_KEY,
        TOREKES_LOG_LEVEL="WARNING",
        TOREKES_ACCESS_LOG="false",
        **values,
    )
    return env


@contextmanager
def serving(database_url: str, workers: int, **settings: str) -> Iterator[Server]:
    """``torekes serve --workers N`` on ``database_url``, answering ``/healthz``."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="torekes-bench-server-") as folder:
        log = Path(folder) / "server.log"
        command = [
            str(Path(sys.executable).with_name("torekes")),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command,
                env=server_environment(database_url, **settings),
                cwd=folder,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        server = Server(f"http://127.0.0.1:{port}", workers, log)
        try:
            _wait_until_answering(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _wait_until_answering(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    with httpx2.Client(base_url=server.base_url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{server.log.read_text(errors='replace')}")
            try:
                if http.get("/healthz").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer in time:\n{server.log.read_text()}")
