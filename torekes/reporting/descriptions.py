"""What transactions are about and whose accounts are whose, gathered for the words shown.

The pages and documents write a transaction's line from its kind and parameters (see
``torekes.kit.wording``): this module reads the parameters from the rows the transaction names
(the activity of a reward, the shop of a payment or of a refunded payment, a refund's reason, a
redemption's number and euros, the transaction a reversal undoes), a few queries for a whole
page. It also tells what a memo is: what a person typed, shown as it is, or a sentence older
versions of the service wrote themselves (``Payment to Bakkerij``), recognised by comparing it
with the sentence those versions made from the same kind and parameters, and then not shown,
since the line already says it in the reader's language. Stored rows are never rewritten: the
memo is part of the hash chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Principal
from torekes.domain.entries import TransactionKind
from torekes.kit.pagination import Listing
from torekes.kit.wording import AccountNaming, Description
from torekes.ledger import accounts
from torekes.ledger.read_models import AccountView, StatementLine


@dataclass(frozen=True, slots=True)
class DescribedLine:
    """A statement line with what its transaction is about."""

    line: StatementLine
    description: Description


def described_statement(
    db: Database, actor: Principal, account_id: int, cursor: str | None, limit: int
) -> Listing[DescribedLine]:
    """The account's statement (as ``accounts.statement`` checks and pages it), each line with
    its description."""
    found = accounts.statement(db, actor, account_id, cursor, limit)
    with db.read_session() as session:
        about = descriptions_in(session, [line.transaction_id for line in found.items])
    return Listing(
        [DescribedLine(line, about[line.transaction_id]) for line in found.items],
        found.next_cursor,
    )


def descriptions(db: Database, transaction_ids: Sequence[int]) -> dict[int, Description]:
    """Descriptions of transactions the caller has already been allowed to read."""
    with db.read_session() as session:
        return descriptions_in(session, transaction_ids)


def descriptions_in(session: Session, transaction_ids: Sequence[int]) -> dict[int, Description]:
    if not transaction_ids:
        return {}
    rows = list(session.scalars(select(m.Transaction).where(m.Transaction.id.in_(transaction_ids))))
    # A refund names its payment's transaction; both lead to the payment's shop.
    payment_ids = {row.id for row in rows if row.kind == TransactionKind.PAYMENT}
    payment_ids |= {
        int(row.meta["refund_of"])
        for row in rows
        if row.kind == TransactionKind.REFUND and "refund_of" in row.meta
    }
    shops = _shops_of_payments(session, payment_ids)
    reasons = _refund_reasons(
        session, [row.id for row in rows if row.kind == TransactionKind.REFUND]
    )
    titles = _activity_titles(
        session,
        {
            int(row.meta["activity_id"])
            for row in rows
            if row.kind == TransactionKind.REWARD and "activity_id" in row.meta
        },
    )
    return {row.id: _described(row, shops, reasons, titles) for row in rows}


def _described(
    row: m.Transaction,
    shops: dict[int, str],
    reasons: dict[int, str],
    titles: dict[int, str],
) -> Description:
    meta: dict[str, Any] = row.meta
    kind = row.kind
    if kind == TransactionKind.REWARD:
        # Rewards never carried a person's words: the memo was always the service's.
        return Description(kind, activity=titles.get(_int(meta.get("activity_id"))))
    if kind == TransactionKind.PAYMENT:
        shop = shops.get(row.id)
        note = "" if shop is not None and row.memo == f"Payment to {shop}" else row.memo
        return Description(kind, shop=shop, note=note)
    if kind == TransactionKind.REFUND:
        paid = _int(meta.get("refund_of"))
        return Description(
            kind, shop=shops.get(paid), payment_id=paid or None, note=reasons.get(row.id, "")
        )
    if kind == TransactionKind.REDEMPTION:
        return Description(
            kind,
            redemption_id=_int(meta.get("redemption_id")) or None,
            euro_cents=meta.get("euro_cents") if isinstance(meta.get("euro_cents"), int) else None,
        )
    if kind == TransactionKind.REVERSAL:
        reason = meta.get("reason")
        return Description(
            kind, reversed_id=row.reverses_id, note=reason if isinstance(reason, str) else ""
        )
    return Description(kind, note=row.memo)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _shops_of_payments(session: Session, transaction_ids: Iterable[int]) -> dict[int, str]:
    """The shop's name of each payment, by the payment's transaction id."""
    wanted = sorted(set(transaction_ids))
    if not wanted:
        return {}
    statement = (
        select(m.Payment.transaction_id, m.Account.name)
        .join(m.Account, m.Account.id == m.Payment.shop_account_id)
        .where(m.Payment.transaction_id.in_(wanted))
    )
    return dict(session.execute(statement).all())


def _refund_reasons(session: Session, transaction_ids: Sequence[int]) -> dict[int, str]:
    if not transaction_ids:
        return {}
    statement = select(m.Refund.transaction_id, m.Refund.reason).where(
        m.Refund.transaction_id.in_(transaction_ids)
    )
    return dict(session.execute(statement).all())


def _activity_titles(session: Session, activity_ids: set[int]) -> dict[int, str]:
    if not activity_ids:
        return {}
    statement = select(m.Activity.id, m.Activity.title).where(m.Activity.id.in_(activity_ids))
    return dict(session.execute(statement).all())


def account_namings(db: Database, views: Sequence[AccountView]) -> dict[int, AccountNaming]:
    """What each account's name is written from (see ``wording.account_name``): the owner's
    display name of a member's wallet, the project of a budget, the currency of its own
    accounts."""
    with db.read_session() as session:
        return account_namings_in(session, views)


def account_namings_in(session: Session, views: Sequence[AccountView]) -> dict[int, AccountNaming]:
    owner_ids = {view.owner_id for view in views if view.owner_id is not None}
    owners: dict[int, str] = {}
    if owner_ids:
        statement = select(m.User.id, m.User.display_name).where(m.User.id.in_(owner_ids))
        owners = dict(session.execute(statement).all())
    budgets = [view.id for view in views if view.kind == "budget"]
    projects: dict[int, str] = {}
    if budgets:
        statement_p = select(m.Project.budget_account_id, m.Project.name).where(
            m.Project.budget_account_id.in_(budgets)
        )
        projects = dict(session.execute(statement_p).all())
    return {
        view.id: AccountNaming(
            kind=view.kind,
            stored=view.name,
            owner=None if view.owner_id is None else owners.get(view.owner_id),
            project=projects.get(view.id),
            currency=view.currency,
        )
        for view in views
    }
