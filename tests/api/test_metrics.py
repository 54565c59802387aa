"""Prometheus metrics at ``/metrics``: each request counted under its route template (never its
raw path) and status with its latency; the ledger's figures read from the database at scrape time
(entries and amounts by currency and kind, holds outstanding, the last run of verify, whichever
way it ran); who may read them; and, with several worker processes, every worker's requests
summed in whichever worker answers the scrape."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
import uvicorn
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from typer.testing import CliRunner

from tests.api.conftest import claim, new_activity, new_batch, new_project
from tests.api.helpers import API
from tests.integration.test_tamper import tamper
from tests.servers import free_port, running, server_env, start, torekes_serve
from tests.support import Ledger
from torekes import cli
from torekes.app import create_app
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.observability import exposition
from torekes.settings import Environment, Settings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
TOKEN = "a-scraper-token-0123456789"


def samples(exposition_text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition_text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def test_a_request_counts_under_its_route_template_and_status(
    client: TestClient, ledger: Ledger
) -> None:
    ledger.currency()
    account = ledger.account(AccountKind.MEMBER, ledger.user(Role.MEMBER))
    headers = ledger.admin.headers
    route = f"{API}/accounts/{{account_id}}"
    before = scrape(client)

    assert client.get(f"{API}/accounts/{account.id}", headers=headers).status_code == 200
    assert client.get(f"{API}/accounts/{account.id}", headers=headers).status_code == 200
    assert client.get(f"{API}/accounts/987654", headers=headers).status_code == 404
    assert client.get("/no/such/page").status_code == 404

    after = scrape(client)
    ok = {"method": "GET", "route": route, "status": "200"}
    missing = {"method": "GET", "route": route, "status": "404"}
    total = "torekes_http_requests_total"
    assert value(after, total, **ok) - value(before, total, **ok) == 2
    assert value(after, total, **missing) - value(before, total, **missing) == 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, total, **unmatched) - value(before, total, **unmatched) == 1
    latency = "torekes_http_request_duration_seconds_count"
    by_route = {"method": "GET", "route": route}
    assert value(after, latency, **by_route) - value(before, latency, **by_route) == 3
    # No raw path ever becomes a label.
    routes = {dict(labels).get("route", "") for _, labels in after}
    assert not any(str(account.id) in route or "987654" in route for route in routes)


def test_pages_and_static_files_count_under_their_templates(client: TestClient) -> None:
    client.get("/docs")
    client.get("/static/no-such-file.css")
    found = scrape(client)
    routes = {dict(labels).get("route") for _, labels in found}
    assert "/docs" in routes
    assert "/static/{path}" in routes
    assert "/static/no-such-file.css" not in routes


def test_the_ledger_figures_come_from_the_database(client: TestClient, ledger: Ledger) -> None:
    ledger.currency()
    budget = ledger.budget(1000)
    volunteer = ledger.user(Role.MEMBER)
    member = ledger.account(AccountKind.MEMBER, volunteer)
    first = scrape(client)
    assert value(first, "torekes_ledger_up") == 1
    issued = value(first, "torekes_ledger_amount_total", currency="TRK", kind="issuance")
    assert issued >= 1000

    for amount in (5, 7, 11):
        ledger.transfer(budget.id, member.id, amount)
    coordinator = ledger.user(Role.COORDINATOR)
    project = new_project(ledger, 0, coordinator)
    ledger.transfer(budget.id, project.budget_account_id, 100)
    activity = new_activity(ledger, project.id, reward_amount=30)
    batch = new_batch(ledger, activity.id, count=1)
    claim(ledger, volunteer, batch.codes[0].code)

    found = scrape(client)
    transfers = ("torekes_ledger_transactions_total", "torekes_ledger_amount_total")
    labels = {"currency": "TRK", "kind": "transfer"}
    assert value(found, transfers[0], **labels) - value(first, transfers[0], **labels) == 4
    assert value(found, transfers[1], **labels) - value(first, transfers[1], **labels) == 123
    assert value(found, "torekes_ledger_holds_outstanding", currency="TRK") == 1
    assert value(found, "torekes_ledger_held_amount", currency="TRK") == 30
    # A scrape changes nothing: read twice, the same figures.
    again = scrape(client)
    ledger_figures = {key: v for key, v in found.items() if key[0].startswith("torekes_ledger")}
    assert {key: again[key] for key in ledger_figures} == ledger_figures


def test_a_worker_started_later_reports_the_same_figures(
    client: TestClient, ledger: Ledger, settings: Settings
) -> None:
    ledger.currency()
    budget = ledger.budget(500)
    member = ledger.account(AccountKind.MEMBER)
    scrape(client)  # this worker now keeps totals up to here and adds only what follows
    ledger.transfer(budget.id, member.id, 9)
    with TestClient(create_app(settings)) as fresh:
        figures = {
            key: v for key, v in scrape(fresh).items() if key[0].startswith("torekes_ledger_")
        }
    kept = scrape(client)
    assert {key: kept[key] for key in figures} == figures


def test_the_last_verify_run_is_reported_however_it_ran(
    client: TestClient, ledger: Ledger, database_url: str
) -> None:
    ledger.currency()
    budget = ledger.budget(100)
    member = ledger.account(AccountKind.MEMBER)
    payment = ledger.transfer(budget.id, member.id, 40)
    assert "torekes_ledger_last_verify_ok" not in {name for name, _ in scrape(client)}

    report = client.get(f"{API}/audit/verify", headers=ledger.admin.headers)
    assert report.json()["ok"] is True
    found = scrape(client)
    assert value(found, "torekes_ledger_last_verify_ok") == 1
    assert value(found, "torekes_ledger_last_verify_problems") == 0
    verified_at = value(found, "torekes_ledger_last_verify_timestamp_seconds")
    assert verified_at > 0

    with ledger.db.read_session() as session:
        posting = session.execute(
            text("SELECT id FROM postings WHERE transaction_id = :t AND amount > 0"),
            {"t": payment.id},
        ).scalar_one()
    tamper(ledger.db, "postings", "UPDATE postings SET amount = 41 WHERE id = :id", {"id": posting})
    result = CliRunner().invoke(cli.app, ["verify"], env={"TOREKES_DATABASE_URL": database_url})
    assert result.exit_code != 0, result.output
    found = scrape(client)
    assert value(found, "torekes_ledger_last_verify_ok") == 0
    assert value(found, "torekes_ledger_last_verify_problems") > 0
    assert value(found, "torekes_ledger_last_verify_timestamp_seconds") >= verified_at

    events = client.get(
        f"{API}/audit/events", params={"action": "ledger.verified"}, headers=ledger.admin.headers
    ).json()["items"]
    assert [event["after"]["ok"] for event in events] == [False, True]


def test_with_a_token_only_its_bearer_reads_the_metrics(settings: Settings) -> None:
    guarded = settings.model_copy(update={"metrics_token": TOKEN})
    with TestClient(create_app(guarded)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert "torekes_ledger_up 1.0" in right.text


def test_production_without_a_token_serves_no_metrics(settings: Settings) -> None:
    production = settings.model_copy(update={"environment": Environment.PRODUCTION})
    with TestClient(create_app(production)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/healthz").status_code == 200


def test_metrics_stay_outside_the_api_schema(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_serving_several_workers_gives_them_a_fresh_metrics_directory(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.delenv(exposition.MULTIPROC_DIR, raising=False)
    seen: dict[str, object] = {}

    def fake_run(*_args: object, **kwargs: object) -> None:
        seen["dir"] = os.environ.get(exposition.MULTIPROC_DIR)
        seen["workers"] = kwargs["workers"]
        assert seen["dir"] is not None
        assert Path(str(seen["dir"])).is_dir()
        assert not any(Path(str(seen["dir"])).iterdir())

    monkeypatch.setattr(uvicorn, "run", fake_run)
    # The service's logging is for its own process: set here, it would outlive this test and
    # change what later tests' loggers record.
    monkeypatch.setattr(cli, "configure_logging", lambda *_args: None)
    env = {"TOREKES_DATABASE_URL": database_url}
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert seen["workers"] == 2
    assert not Path(str(seen["dir"])).exists()  # removed once the server stops
    monkeypatch.delenv(exposition.MULTIPROC_DIR, raising=False)

    seen.clear()
    monkeypatch.setattr(
        uvicorn,
        "run",
        lambda *_a, **_k: seen.update(d=os.environ.get(exposition.MULTIPROC_DIR)),
    )
    assert CliRunner().invoke(cli.app, ["serve"], env=env).exit_code == 0
    assert seen["d"] is None  # one worker keeps its metrics in memory


# --- several worker processes --------------------------------------------------------------------

MAX_REQUESTS = 400


@pytest.fixture
def two_workers(
    database_url: str, settings: Settings, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    metric_files = tmp_path / "metrics"
    metric_files.mkdir()
    env = server_env(
        TOREKES_DATABASE_URL=database_url,
        TOREKES_SECRET_KEY=settings.secret_key,
        PROMETHEUS_MULTIPROC_DIR=str(metric_files),
    )
    port = free_port()
    with running(start(torekes_serve(port, workers=2), port, env, tmp_path), "/healthz") as server:
        yield server.base_url, metric_files


def _pids(metric_files: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[-1] for path in metric_files.glob("counter_*.db")}


@pytest.mark.e2e
def test_every_worker_reports_all_workers_requests(two_workers: tuple[str, Path]) -> None:
    base_url, metric_files = two_workers
    sent = 0
    # A new connection each time, until both workers have served at least one request.
    while sent < MAX_REQUESTS and len(_pids(metric_files)) < 2:
        assert httpx2.get(f"{base_url}/healthz", timeout=10).status_code == 200
        sent += 1
    assert len(_pids(metric_files)) == 2, "the kernel gave every connection to one worker"
    served = {"method": "GET", "route": "/healthz", "status": "200"}
    counts = set()
    for _ in range(6):  # whichever worker answers each scrape
        body = httpx2.get(f"{base_url}/metrics", timeout=10).text
        found = samples(body)
        counts.add(value(found, "torekes_http_requests_total", **served))
        assert value(found, "torekes_ledger_up") == 1
    # The startup probe's own /healthz calls count too, so at least what was sent here.
    assert len(counts) == 1
    assert counts.pop() >= sent
