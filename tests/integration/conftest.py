"""Fixtures of the integration tests: the administrator's principal, a funded small ledger, engines
for concurrency tests, and the spending scene (a shop in a funded currency) with its consistency
check after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.integration.spending_support import (
    Shop,
    SpendingScene,
    assert_spending_consistent,
    make_scene,
)
from tests.support import Ledger
from torekes.db.engine import Database
from torekes.domain.access import Principal
from torekes.ledger.read_models import CurrencyView
from torekes.settings import Settings


@pytest.fixture
def admin(ledger: Ledger) -> Principal:
    return ledger.admin.principal


@pytest.fixture
def trk(ledger: Ledger) -> CurrencyView:
    """The currency TRK with its two system accounts."""
    return ledger.currency("TRK")


Engines = Callable[[bool, int], list[Database]]


@pytest.fixture
def engines(db: Database, database_url: str) -> Iterator[Engines]:
    """``engines(separate, n)``: the shared ``db`` n times, or n separate ``Database`` objects.

    Separate objects behave like separate service processes: no lock inside one ``Database``
    object can then be what keeps the writers apart, only the database's own locking.
    """
    made: list[Database] = []

    def build(separate: bool, count: int) -> list[Database]:
        if not separate:
            return [db] * count
        fresh = [Database(database_url) for _ in range(count)]
        made.extend(fresh)
        return fresh

    yield build
    for database in made:
        database.dispose()


@pytest.fixture
def scene(
    ledger: Ledger, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SpendingScene]:
    """The spending scene; afterwards the ledger and the spending tables must agree."""
    made = make_scene(ledger, settings, monkeypatch)
    yield made
    assert_spending_consistent(made.db)


@pytest.fixture
def shop(scene: SpendingScene) -> Shop:
    return scene.shop()
