"""The application factory: builds the FastAPI app and its database from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from torekes import __version__
from torekes.api.body_limit import BodyLimitMiddleware
from torekes.api.errors import install_error_handlers
from torekes.api.request_log import RequestLogMiddleware
from torekes.api.routes import (
    accounts,
    approvals,
    audit,
    auth,
    cards,
    claim_codes,
    claims,
    currencies,
    health,
    payment_requests,
    payments,
    projects,
    redemptions,
    reports,
    settlements,
    transactions,
    users,
)
from torekes.db.engine import Database
from torekes.observability import exposition
from torekes.observability.requests import RequestMetrics
from torekes.services.ledger_figures import LedgerFigures
from torekes.settings import Settings, load_settings
from torekes.web import admin, claiming, coordinating, pages, paying, shop, till

API_PREFIX = "/api/v1"

DESCRIPTION = """
Torekes runs a neighbourhood currency on an append-only, double-entry ledger.

Amounts are whole numbers of the currency's minor units. Every writing POST accepts an
`Idempotency-Key` header. Errors are `application/problem+json` with a stable `code`.
Sign in with **Authorize** (username and password) to try the API here.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    database = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        database.dispose()

    app = FastAPI(
        title="Torekes",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.ledger_figures = LedgerFigures(database)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(RequestMetrics)
    install_error_handlers(app)
    app.add_middleware(RequestLogMiddleware)  # added last, so outermost: the id is set first

    api = APIRouter(prefix=API_PREFIX)
    for module in (
        auth,
        users,
        currencies,
        accounts,
        transactions,
        approvals,
        projects,
        claim_codes,
        claims,
        payment_requests,
        payments,
        cards,
        redemptions,
        settlements,
        reports,
        audit,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(exposition.router)
    app.include_router(pages.router)
    app.include_router(paying.router)
    app.include_router(claiming.router)
    app.include_router(till.router)
    app.include_router(shop.router)
    app.include_router(coordinating.router)
    app.include_router(admin.router)
    app.mount("/static", StaticFiles(packages=[("torekes.web", "static")]), name="static")
    return app
