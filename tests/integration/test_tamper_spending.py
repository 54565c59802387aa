"""The audit checks the spending rows against the journal: a payment's refunded amount that no
longer matches its refunds, or a payment pointing at a transaction that does not move it, is
reported with the transaction concerned."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import text

from tests.support import Ledger
from torekes.audit import verification
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import CurrencyView
from torekes.redemption import redemptions
from torekes.spending import payment_requests, payments
from torekes.spending.payment_requests import PayCommand, RequestCommand
from torekes.spending.read_models import ReceiptView


@dataclass(frozen=True)
class Sale:
    paid: ReceiptView
    refunded: ReceiptView


@pytest.fixture
def sale(ledger: Ledger, trk: CurrencyView) -> Sale:
    keeper = ledger.user(Role.SHOPKEEPER)
    member = ledger.user(Role.MEMBER)
    shop = ledger.account(AccountKind.SHOP, keeper)
    ledger.funded_member(member, 100)
    request = write(
        ledger.db,
        keeper.principal,
        lambda ctx: payment_requests.create_request(
            ctx, ledger.settings, RequestCommand(shop.id, amount=40)
        ),
    )
    paid = write(
        ledger.db,
        member.principal,
        lambda ctx: payment_requests.pay(ctx, ledger.settings, request.code, PayCommand()),
    )
    refunded = write(
        ledger.db,
        keeper.principal,
        lambda ctx: payments.refund(ctx, paid.transaction_id, 15, "one item back"),
    )
    assert verification.verify(ledger.db).ok
    return Sale(paid, refunded)


def _breaks(ledger: Ledger) -> list[tuple[str, int | None]]:
    report = verification.verify(ledger.db)
    assert not report.ok
    return [(problem.check, problem.transaction_id) for problem in report.problems]


def test_a_refunded_amount_that_disagrees_with_the_refunds_is_reported(
    ledger: Ledger, sale: Sale
) -> None:
    with ledger.db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE payments SET refunded_amount = 0 WHERE transaction_id = :id"),
            {"id": sale.paid.transaction_id},
        )
    assert _breaks(ledger) == [("refunded", sale.paid.transaction_id)]


def test_a_payment_pointing_at_another_transaction_is_reported(ledger: Ledger, sale: Sale) -> None:
    with ledger.db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE payments SET amount = 41 WHERE transaction_id = :id"),
            {"id": sale.paid.transaction_id},
        )
    assert ("payment", sale.paid.transaction_id) in _breaks(ledger)


def test_a_refund_row_that_disagrees_with_its_transaction_is_reported(
    ledger: Ledger, sale: Sale
) -> None:
    with ledger.db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE refunds SET amount = 16 WHERE transaction_id = :id"),
            {"id": sale.refunded.transaction_id},
        )
        connection.execute(
            text("UPDATE payments SET refunded_amount = 16 WHERE transaction_id = :id"),
            {"id": sale.paid.transaction_id},
        )
    assert _breaks(ledger) == [("refund", sale.refunded.transaction_id)]


def test_a_redemption_whose_hold_disagrees_is_reported(ledger: Ledger, sale: Sale) -> None:
    keeper_shop = sale.paid.shop.account_id
    admin = ledger.admin.principal
    with ledger.db.write_engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE accounts SET iban = 'BE71096123456769', payout_name = 'Shop' WHERE id = :id"
            ),
            {"id": keeper_shop},
        )
    asked = write(ledger.db, admin, lambda ctx: redemptions.request(ctx, keeper_shop, 10, ""))
    write(ledger.db, admin, lambda ctx: redemptions.approve(ctx, asked.id))
    assert verification.verify(ledger.db).ok
    with ledger.db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE redemptions SET amount = 11 WHERE id = :id"), {"id": asked.id}
        )
    report = verification.verify(ledger.db)
    assert [(p.check, p.account_id) for p in report.problems] == [("redemption_hold", keeper_shop)]


def test_a_paid_redemption_altered_behind_the_ledgers_back_breaks_the_redemption_identity(
    ledger: Ledger, sale: Sale
) -> None:
    """The redemption account holds what the paid redemptions add up to; a paid redemption's row
    raised by raw SQL makes the paid redemptions exceed what was redeemed, and the audit says so
    (as well as that the row no longer matches its hold and its transaction)."""
    keeper_shop = sale.paid.shop.account_id
    admin = ledger.admin.principal
    with ledger.db.write_engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE accounts SET iban = 'BE71096123456769', payout_name = 'Shop' WHERE id = :id"
            ),
            {"id": keeper_shop},
        )
    asked = write(ledger.db, admin, lambda ctx: redemptions.request(ctx, keeper_shop, 10, ""))
    write(ledger.db, admin, lambda ctx: redemptions.approve(ctx, asked.id))
    write(ledger.db, admin, lambda ctx: redemptions.pay(ctx, asked.id, "bank-ref-1"))
    intact = verification.verify(ledger.db)
    assert intact.ok, intact.problems
    [before] = intact.currencies
    assert (before.redeemed, before.redemptions_paid) == (10, 10)
    assert before.redemption_identity_holds

    with ledger.db.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE redemptions SET amount = 25 WHERE id = :id"), {"id": asked.id}
        )

    report = verification.verify(ledger.db)
    assert not report.ok
    [trk] = report.currencies
    assert (trk.redeemed, trk.redemptions_paid) == (10, 25)
    assert not trk.redemption_identity_holds
    assert trk.issued_identity_holds  # the journal itself is untouched
    checks = [problem.check for problem in report.problems]
    assert "redemption_identity" in checks
    [identity] = [p for p in report.problems if p.check == "redemption_identity"]
    assert identity.currency == "TRK"
    assert identity.detail == "redeemed is 10, paid redemptions 25"
    assert set(checks) == {"redemption_hold", "redemption", "redemption_identity"}
