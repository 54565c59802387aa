"""Refusals kept against their Idempotency-Key, on a real database with real threads.

A refusal raised once the write has begun is stored with the key, its effects rolled back, so
every retry and every concurrent duplicate gets the same refusal back without being judged
again; what ``kept_refusal`` keeps is committed with it; a failure that is not a refusal is not
stored, so a retry can still succeed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import Engines
from tests.integration.helpers import account_rows, keyed
from tests.integration.threads import run_concurrently, unexpected
from tests.support import Ledger
from torekes.db import models as m
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import (
    WriteContext,
    kept_refusal,
    replayed_problem,
    write_idempotently,
)
from torekes.ledger import journal
from torekes.ledger.read_models import CurrencyView, TransactionView


def _render(view: TransactionView) -> tuple[int, dict[str, int]]:
    return 201, {"id": view.id}


@pytest.mark.parametrize("separate", [False, True], ids=["one-engine", "engine-per-thread"])
def test_a_concurrent_duplicate_of_a_refused_write_replays_the_refusal(
    ledger: Ledger, trk: CurrencyView, engines: Engines, separate: bool
) -> None:
    owner = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(owner, 10)
    shop = ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER))
    databases = engines(separate, 12)
    command = journal.TransferCommand(wallet.id, shop.id, 30, "too much")

    def attempt(index: int) -> object:
        return write_idempotently(
            databases[index],
            owner.principal,
            keyed("refused-key", "fingerprint"),
            lambda ctx: journal.transfer(ctx, command),
            _render,
        )

    outcomes = run_concurrently(12, attempt)

    assert unexpected(outcomes, errors.InsufficientFunds) == []
    refusals = [
        outcome.error for outcome in outcomes if isinstance(outcome.error, errors.InsufficientFunds)
    ]
    assert len(refusals) == len(outcomes)
    replays = [replayed_problem(refusal) for refusal in refusals]
    assert sum(replay is None for replay in replays) == 1
    stored = {(replay.status_code, str(replay.body)) for replay in replays if replay is not None}
    assert stored == {(409, str({"code": "insufficient_funds"}))}
    assert account_rows(ledger.db, trk.id)[wallet.id].balance == 10


def test_what_a_kept_refusal_keeps_is_committed_with_the_stored_refusal(
    ledger: Ledger, trk: CurrencyView
) -> None:
    keeper = ledger.user(Role.SHOPKEEPER)
    shop = ledger.account(AccountKind.SHOP, keeper)
    runs: list[int] = []

    def count_and_refuse(ctx: WriteContext) -> None:
        runs.append(1)
        ctx.session.add(m.PinAttempt(shop_account_id=shop.id, actor_id=keeper.id, outcome="wrong"))
        raise kept_refusal(ctx, errors.CardNotFound())

    for _ in range(3):
        with pytest.raises(errors.CardNotFound):
            write_idempotently(
                ledger.db,
                keeper.principal,
                keyed("kept-key", "fingerprint"),
                count_and_refuse,
                lambda _: (201, {}),
            )

    assert runs == [1]
    with ledger.db.read_session() as session:
        outcomes = session.scalars(select(m.PinAttempt.outcome)).all()
        records = session.scalar(select(func.count()).select_from(m.IdempotencyRecord))
    assert outcomes == ["wrong"]
    assert records == 1


def test_a_failure_that_is_no_refusal_is_not_stored(ledger: Ledger, trk: CurrencyView) -> None:
    owner = ledger.user(Role.MEMBER)
    wallet = ledger.funded_member(owner, 100)
    shop = ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER))
    command = journal.TransferCommand(wallet.id, shop.id, 30, "once")

    def crash(ctx: WriteContext) -> TransactionView:
        journal.transfer(ctx, command)
        raise RuntimeError("the service fell over")

    with pytest.raises(RuntimeError):
        write_idempotently(ledger.db, owner.principal, keyed("crash-key", "fp"), crash, _render)
    assert account_rows(ledger.db, trk.id)[wallet.id].balance == 100
    done = write_idempotently(
        ledger.db,
        owner.principal,
        keyed("crash-key", "fp"),
        lambda ctx: journal.transfer(ctx, command),
        _render,
    )
    assert not done.replayed
    assert account_rows(ledger.db, trk.id)[wallet.id].balance == 70
