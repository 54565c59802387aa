"""Queries on currencies and accounts (the journal's own queries live in ``torekes.db.journal``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from torekes.db.models import Account, Currency


@dataclass(frozen=True, slots=True)
class AccountFilter:
    currency_id: int | None = None
    kind: str | None = None
    status: str | None = None
    owner_id: int | None = None


def currency_by_code(session: Session, code: str) -> Currency | None:
    return session.scalars(select(Currency).where(Currency.code == code)).one_or_none()


def list_currencies(session: Session) -> list[Currency]:
    return list(session.scalars(select(Currency).order_by(Currency.code)))


def system_account(session: Session, currency_id: int, kind: str) -> Account | None:
    statement = select(Account).where(Account.currency_id == currency_id, Account.kind == kind)
    return session.scalars(statement).one_or_none()


def list_accounts(
    session: Session, where: AccountFilter, after_id: int | None, limit: int
) -> list[Account]:
    statement = select(Account).order_by(Account.id).limit(limit)
    if where.currency_id is not None:
        statement = statement.where(Account.currency_id == where.currency_id)
    if where.kind is not None:
        statement = statement.where(Account.kind == where.kind)
    if where.status is not None:
        statement = statement.where(Account.status == where.status)
    if where.owner_id is not None:
        statement = statement.where(Account.owner_id == where.owner_id)
    if after_id is not None:
        statement = statement.where(Account.id > after_id)
    return list(session.scalars(statement))


def account_ids_owned_by(session: Session, owner_id: int) -> list[int]:
    statement = select(Account.id).where(Account.owner_id == owner_id).order_by(Account.id)
    return list(session.scalars(statement))
