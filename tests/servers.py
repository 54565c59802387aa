"""Real server processes for the end-to-end and browser tests and for the benchmarks
(``bench/server.py``): a free port, an environment without the developer's ``TOREKES_`` settings,
the process started with its output in a log file, a wait until it answers, and a stop that never
leaves it running. It needs nothing of pytest, so that the benchmarks can import it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

STARTUP_DEADLINE_SECONDS = 30.0
SHUTDOWN_WAIT_SECONDS = 15.0


class ServerFailed(RuntimeError):
    """The server exited, or did not answer in time; the message carries its log."""


@dataclass(frozen=True)
class Server:
    """A started server process, where it listens and where it logs."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(**values: str) -> dict[str, str]:
    """This process's environment without its ``TOREKES_`` settings and metrics directory (each
    server process counts its own requests unless a test says otherwise), plus ``values``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TOREKES_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(values)
    return env


def start(command: list[str], port: int, env: dict[str, str], workdir: Path) -> Server:
    """Start ``command`` (which listens on ``port``) in ``workdir``, logging to server.log."""
    log = workdir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=workdir,  # away from any .env file in the project
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return Server(f"http://127.0.0.1:{port}", process, log)


def wait_until_answering(
    server: Server, path: str, deadline_seconds: float = STARTUP_DEADLINE_SECONDS
) -> None:
    """Poll ``path`` until it answers 200; raise ``ServerFailed`` with the log when the process
    exits first or the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    with httpx2.Client(base_url=server.base_url, timeout=2.0) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ServerFailed(
                    f"server exited with {server.process.returncode}:\n{server.log_text()}"
                )
            try:
                if http.get(path).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
    raise ServerFailed(f"{path} not answering within {deadline_seconds} s:\n{server.log_text()}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=SHUTDOWN_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=SHUTDOWN_WAIT_SECONDS)


@contextmanager
def running(
    server: Server, path: str, deadline_seconds: float = STARTUP_DEADLINE_SECONDS
) -> Iterator[Server]:
    """The started ``server`` once ``path`` answers, stopped when the block ends."""
    try:
        wait_until_answering(server, path, deadline_seconds)
        yield server
    finally:
        stop(server)


def uvicorn(port: int, workers: int = 1) -> list[str]:
    """The command that serves the app on ``port`` with uvicorn and ``workers`` processes."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "torekes.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def torekes_serve(port: int, workers: int = 1) -> list[str]:
    """``torekes serve`` (as operators run it) on ``port`` with ``workers`` processes."""
    torekes = str(Path(sys.executable).with_name("torekes"))
    return [torekes, "serve", "--port", str(port), "--workers", str(workers)]


@contextmanager
def serving_app(
    database_url: str, secret_key: str, workdir: Path, workers: int = 1
) -> Iterator[Server]:
    """The application on ``database_url`` under uvicorn with ``workers`` processes, answering
    ``/healthz``, stopped when the block ends."""
    env = server_env(TOREKES_DATABASE_URL=database_url, TOREKES_SECRET_KEY=secret_key)
    port = free_port()
    with running(start(uvicorn(port, workers), port, env, workdir), "/healthz") as server:
        yield server
