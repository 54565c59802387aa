"""The ``/metrics`` page: one scrape's registry (the request metrics of this process, or of all
worker processes in multiprocess mode, plus the ledger's figures from the database), who may read
it, and the multiprocess set-up for ``torekes serve --workers N``.

Who may read: with ``TOREKES_METRICS_TOKEN`` set, only a scraper that sends it as
``Authorization: Bearer <token>``; without it, anyone in development, and nobody in production
(the figures say how much money there is and where it sits, so production never serves them
unauthenticated by accident).
"""

from __future__ import annotations

import hmac
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from torekes.observability.ledger import LedgerCollector
from torekes.observability.ledger_figures import LedgerFigures
from torekes.settings import Environment, Settings

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

router = APIRouter(include_in_schema=False)


class _ThisProcess(Collector):
    """The default registry's metrics (requests, and the process's own) inside a scrape."""

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_DIR) or None


@contextmanager
def worker_metrics(workers: int) -> Iterator[None]:
    """Around serving with ``workers`` processes: unless the operator named a directory in
    ``PROMETHEUS_MULTIPROC_DIR``, give the workers a fresh private one for their metric files
    (they inherit the environment), and remove it, and the variable, once serving ends."""
    if workers <= 1 or multiprocess_dir() is not None:
        yield
        return
    made = tempfile.mkdtemp(prefix="torekes-metrics-")
    os.environ[MULTIPROC_DIR] = made
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_DIR, None)
        shutil.rmtree(made, ignore_errors=True)


def scrape(figures: LedgerFigures) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir() is not None:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(LedgerCollector(figures))
    return generate_latest(registry)


def allowed(settings: Settings, authorization: str | None) -> bool:
    token = settings.metrics_token
    if not token:
        return settings.environment is not Environment.PRODUCTION
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not allowed(settings, request.headers.get("authorization")):
        return PlainTextResponse(
            "Metrics need the bearer token set in TOREKES_METRICS_TOKEN.\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    figures: LedgerFigures = request.app.state.ledger_figures
    return Response(scrape(figures), media_type=CONTENT_TYPE_LATEST)
