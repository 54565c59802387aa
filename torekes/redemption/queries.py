"""Queries for euro rates, redemptions and settlements (rows are locked with
``torekes.db.locking.lock``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from torekes.db.models import CurrencyRate, Redemption, Settlement
from torekes.domain.redemption import RedemptionStatus


def rate_at(session: Session, currency_id: int, moment: datetime) -> CurrencyRate | None:
    """The rate in force at ``moment``: the newest one valid from then or before."""
    statement = (
        select(CurrencyRate)
        .where(CurrencyRate.currency_id == currency_id, CurrencyRate.valid_from <= moment)
        .order_by(CurrencyRate.valid_from.desc(), CurrencyRate.id.desc())
        .limit(1)
    )
    return session.scalars(statement).first()


def first_rate(session: Session, currency_id: int) -> CurrencyRate | None:
    statement = (
        select(CurrencyRate)
        .where(CurrencyRate.currency_id == currency_id)
        .order_by(CurrencyRate.valid_from, CurrencyRate.id)
        .limit(1)
    )
    return session.scalars(statement).first()


def rates_of(session: Session, currency_id: int) -> list[CurrencyRate]:
    statement = (
        select(CurrencyRate)
        .where(CurrencyRate.currency_id == currency_id)
        .order_by(CurrencyRate.valid_from.desc(), CurrencyRate.id.desc())
    )
    return list(session.scalars(statement))


def list_redemptions(
    session: Session,
    account_ids: Sequence[int] | None,
    status: str | None,
    settlement_id: int | None,
    before_id: int | None,
    limit: int,
) -> list[Redemption]:
    statement = select(Redemption).order_by(Redemption.id.desc()).limit(limit)
    if account_ids is not None:
        statement = statement.where(Redemption.account_id.in_(account_ids))
    if status is not None:
        statement = statement.where(Redemption.status == status)
    if settlement_id is not None:
        statement = statement.where(Redemption.settlement_id == settlement_id)
    if before_id is not None:
        statement = statement.where(Redemption.id < before_id)
    return list(session.scalars(statement))


def redemptions_of_currency(session: Session, currency_id: int) -> list[Redemption]:
    statement = select(Redemption).where(Redemption.currency_id == currency_id)
    return list(session.scalars(statement.order_by(Redemption.id)))


def unsettled_approved_ids(session: Session, currency_id: int) -> list[int]:
    """The ids of the currency's approved redemptions in no settlement yet, in id order (the
    order they are locked in)."""
    statement = (
        select(Redemption.id)
        .where(
            Redemption.currency_id == currency_id,
            Redemption.status == RedemptionStatus.APPROVED.value,
            Redemption.settlement_id.is_(None),
        )
        .order_by(Redemption.id)
    )
    return list(session.scalars(statement).all())


def redemption_ids_of_settlement(session: Session, settlement_id: int) -> list[int]:
    """The ids of the settlement's redemptions, in id order (the order they are locked in)."""
    statement = (
        select(Redemption.id)
        .where(Redemption.settlement_id == settlement_id)
        .order_by(Redemption.id)
    )
    return list(session.scalars(statement))


def list_settlements(session: Session) -> list[Settlement]:
    """Every settlement, newest first."""
    return list(session.scalars(select(Settlement).order_by(Settlement.id.desc())))
