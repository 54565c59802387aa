"""Currencies, each created with its two system accounts: issuance and redemption."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import access, errors
from torekes.domain.accounts import AccountKind
from torekes.domain.hashing import GENESIS_HASH
from torekes.domain.spending import check_positive
from torekes.kit import audit_trail, clock
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import queries
from torekes.ledger.read_models import CurrencyView


@dataclass(frozen=True, slots=True)
class CurrencyCommand:
    code: str
    name: str
    decimals: int
    euro_rate: Decimal


def create_currency(ctx: WriteContext, command: CurrencyCommand) -> CurrencyView:
    access.require_admin(ctx.actor)
    session = ctx.session
    exists = errors.CurrencyExists(f"Currency {command.code} exists", currency=command.code)
    if queries.currency_by_code(session, command.code) is not None:
        raise exists
    currency = m.Currency(
        code=command.code,
        name=command.name,
        decimals=command.decimals,
        euro_rate=command.euro_rate,
        last_seq=0,
        last_hash=GENESIS_HASH,
    )
    session.add(currency)
    try:
        session.flush()
    except IntegrityError:  # created concurrently since the look-up above
        raise exists from None
    for kind in (AccountKind.ISSUANCE, AccountKind.REDEMPTION):
        session.add(
            m.Account(
                currency_id=currency.id,
                kind=kind.value,
                name=f"{command.code} {kind.value}",
                owner_id=None,
                status="active",
                balance=0,
                held=0,
            )
        )
    session.add(
        m.CurrencyRate(
            currency_id=currency.id,
            rate=command.euro_rate,
            valid_from=clock.now(),
            set_by_id=ctx.actor.user_id or None,
        )
    )
    session.flush()
    after = {"name": command.name, "decimals": command.decimals, "euro_rate": command.euro_rate}
    audit_trail.record(ctx, "currency.created", "currency", command.code, None, after)
    return _view(session, currency)


@dataclass(frozen=True, slots=True)
class LimitsCommand:
    """A currency's limits in minor units; ``None`` is no limit. ``confirm_above`` is not a
    limit on what may be done but on what a page does at once: a larger amount typed on a
    page's form is asked to be confirmed first."""

    max_payment: int | None = None
    daily_spend_limit: int | None = None
    confirm_above: int | None = None


def set_spending_limits(ctx: WriteContext, code: str, command: LimitsCommand) -> CurrencyView:
    """Set or lift (``None``) the limits on one member payment and on a member's spending per
    calendar day (in ``TOREKES_TIMEZONE``, net of refunds), and the amount above which a page
    asks to confirm what was typed."""
    access.require_admin(ctx.actor)
    for limit in (command.max_payment, command.daily_spend_limit, command.confirm_above):
        if limit is not None:
            check_positive(limit)
    currency = queries.lock_currency(ctx.session, get_currency_id(ctx.session, code))
    assert currency is not None
    before = {
        "max_payment": currency.max_payment,
        "daily_spend_limit": currency.daily_spend_limit,
        "confirm_above": currency.confirm_above,
    }
    currency.max_payment = command.max_payment
    currency.daily_spend_limit = command.daily_spend_limit
    currency.confirm_above = command.confirm_above
    ctx.session.flush()
    after = {
        "max_payment": command.max_payment,
        "daily_spend_limit": command.daily_spend_limit,
        "confirm_above": command.confirm_above,
    }
    audit_trail.record(ctx, "currency.limits_changed", "currency", currency.code, before, after)
    return _view(ctx.session, currency)


def list_currencies(db: Database) -> list[CurrencyView]:
    with db.read_session() as session:
        return [_view(session, currency) for currency in queries.list_currencies(session)]


def get_currency_id(session: Session, code: str) -> int:
    currency = queries.currency_by_code(session, code)
    if currency is None:
        raise errors.CurrencyNotFound(f"No currency {code}", currency=code)
    return currency.id


def _view(session: Session, currency: m.Currency) -> CurrencyView:
    issuance = queries.system_account(session, currency.id, AccountKind.ISSUANCE)
    redemption = queries.system_account(session, currency.id, AccountKind.REDEMPTION)
    assert issuance is not None
    assert redemption is not None
    return CurrencyView(
        id=currency.id,
        code=currency.code,
        name=currency.name,
        decimals=currency.decimals,
        euro_rate=currency.euro_rate,
        issuance_account_id=issuance.id,
        redemption_account_id=redemption.id,
        last_seq=currency.last_seq,
        max_payment=currency.max_payment,
        daily_spend_limit=currency.daily_spend_limit,
        confirm_above=currency.confirm_above,
        created_at=currency.created_at,
    )
