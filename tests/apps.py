"""One app per test process, pointed at each test's settings in turn.

Making an app means analysing every route's dependencies and models, which took most of a page
or API test's time when each test built its own. ``app_for(settings)`` hands out the one app,
attached to ``settings`` (and a database opened from them) unless it already is. A test that
needs a second configuration while its first client is still open builds its own with
``create_app``.
"""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI

from torekes.app import attach, build_app
from torekes.settings import Settings


@cache
def _shared_app() -> FastAPI:
    return build_app()


def app_for(settings: Settings) -> FastAPI:
    app = _shared_app()
    if getattr(app.state, "settings", None) is not settings:
        attach(app, settings)
    return app
