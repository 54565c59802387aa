"""End to end: ``torekes serve`` with two workers writes its log to stderr, one JSON object a
line, uvicorn's own lines included; each request's lines carry its id, and the access line names
the route, never the code in the path."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.servers import Server, free_port, running, server_env, torekes_serve
from torekes.settings import Settings

pytestmark = pytest.mark.e2e

CODE = "Zq3vN8wLm2Xc7RtY4pKb9HsJd1F"  # shaped like a payment code, known to no database


def test_torekes_serve_writes_json_lines_with_request_ids_to_stderr(
    database_url: str, settings: Settings, tmp_path: Path
) -> None:
    env = server_env(
        TOREKES_DATABASE_URL=database_url,
        TOREKES_SECRET_KEY=settings.secret_key,
        TOREKES_LOG_FORMAT="json",
        TOREKES_ACCESS_LOG="true",
    )
    port = free_port()
    command = torekes_serve(port, workers=2)
    stderr, stdout = tmp_path / "stderr.log", tmp_path / "stdout.log"
    with stderr.open("wb") as err, stdout.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=out, stderr=err)
    with (
        running(Server(f"http://127.0.0.1:{port}", process, stderr), "/healthz"),
        httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as http,
    ):
        problem = http.get(
            f"/api/v1/payment-requests/{CODE}?code={CODE}", headers={"X-Request-ID": "e2e-404"}
        )
        page = http.get(f"/p/{CODE}", headers={"X-Request-ID": "e2e-page"})
    assert problem.status_code == 401
    assert problem.json()["request_id"] == "e2e-404"
    assert page.headers["X-Request-ID"] == "e2e-page"

    text = stderr.read_text()
    lines: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines() if line]
    assert stdout.read_text() == ""
    assert CODE not in text
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "torekes.access"} <= loggers, lines
    assert any("Started server process" in line["message"] for line in lines), lines
    access = {
        line["request_id"]: (line["method"], line["route"], line["status"])
        for line in lines
        if line["logger"] == "torekes.access"
    }
    assert access["e2e-404"] == ("GET", "/api/v1/payment-requests/{code}", 401)
    assert access["e2e-page"] == ("GET", "/p/{code}", 303)
