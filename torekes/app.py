"""The application factory: builds the FastAPI app and its database from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from torekes import __version__
from torekes.api.body_limit import BodyLimitMiddleware
from torekes.api.docs_gate import DocsGateMiddleware
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
    counter,
    currencies,
    health,
    me,
    payment_requests,
    payments,
    projects,
    redemptions,
    reports,
    settlements,
    transactions,
    users,
)
from torekes.api.security_headers import SecurityHeadersMiddleware
from torekes.db.engine import Database
from torekes.kit.guessing import MissLimiter
from torekes.observability import exposition
from torekes.observability.ledger_figures import LedgerFigures
from torekes.observability.requests import RequestMetrics
from torekes.settings import Settings, load_settings
from torekes.web import admin, coordinator, shop
from torekes.web import counter as counter_pages
from torekes.web.member import account, claiming, home, paying, wallet
from torekes.web.refusals import install_page_refusals
from torekes.web.request_refusals import install_request_refusals
from torekes.web.shop import till

API_PREFIX = "/api/v1"

DESCRIPTION = """
Torekes runs a neighbourhood currency on an append-only, double-entry ledger.

Amounts are whole numbers of the currency's minor units. Every writing POST accepts an
`Idempotency-Key` header. Errors are `application/problem+json` with a stable `code`.
Sign in with **Authorize** (username and password) to try the API here.
"""


API_MODULES = (
    auth,
    users,
    me,
    currencies,
    accounts,
    transactions,
    approvals,
    projects,
    claim_codes,
    claims,
    counter,
    payment_requests,
    payments,
    cards,
    redemptions,
    settlements,
    reports,
    audit,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    app = build_app()
    attach(app, settings or load_settings())
    return app


def build_app() -> FastAPI:
    """The routes, middleware and error handlers, which depend on no setting.

    Analysing the routes' dependencies and models is nearly all the cost of making an app, so a
    process that serves several configurations one after another (the test suite) builds one app
    and ``attach``es each configuration to it in turn.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.db.dispose()

    app = FastAPI(
        title="Torekes",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(DocsGateMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestMetrics)
    install_error_handlers(app)
    app.add_middleware(RequestLogMiddleware)  # added last, so outermost: the id is set first

    # Each API router goes straight into the app: a router included in a router included in the
    # app has its routes' dependencies and models analysed once per level of inclusion.
    for module in API_MODULES:
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(exposition.router)
    app.include_router(home.router)
    app.include_router(wallet.router)
    app.include_router(account.router)
    app.include_router(paying.router)
    app.include_router(claiming.router)
    app.include_router(till.router)
    app.include_router(shop.router)
    app.include_router(coordinator.router)
    app.include_router(counter_pages.router)
    app.include_router(admin.router)
    install_page_refusals(app)
    install_request_refusals(app)
    app.mount("/static", StaticFiles(packages=[("torekes.web", "static")]), name="static")
    return app


def attach(app: FastAPI, settings: Settings) -> None:
    """Point ``app`` at ``settings`` and a database opened from them, closing any earlier one."""
    previous: Database | None = getattr(app.state, "db", None)
    if previous is not None:
        previous.dispose()
    database = Database(settings.database_url)
    app.state.settings = settings
    app.state.db = database
    app.state.code_misses = MissLimiter(settings.code_max_misses, settings.code_window_seconds)
    app.state.ledger_figures = LedgerFigures(database)
