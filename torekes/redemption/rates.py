"""Euro rates: what one whole unit of a currency is worth when a shop redeems it.

A new rate takes effect when it is set and the old ones are kept, so a redemption can always show
the rate in force when it was approved, and a report the rate of any past moment.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain import access
from torekes.domain.access import Principal
from torekes.domain.redemption import check_rate
from torekes.kit import audit_trail, clock
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger.currencies import get_currency_id
from torekes.ledger.queries import lock_currency
from torekes.redemption import queries
from torekes.redemption.read_models import RateView


def set_rate(ctx: WriteContext, code: str, rate: Decimal) -> RateView:
    """Set the currency's euro rate from now on (admin)."""
    access.require_admin(ctx.actor)
    check_rate(rate)
    currency = lock_currency(ctx.session, get_currency_id(ctx.session, code))
    assert currency is not None
    before = {"euro_rate": currency.euro_rate}
    row = record_rate(ctx, currency, rate)
    audit_trail.record(
        ctx, "currency.rate_changed", "currency", currency.code, before, {"euro_rate": rate}
    )
    return RateView.of(row, currency.code)


def record_rate(ctx: WriteContext, currency: m.Currency, rate: Decimal) -> m.CurrencyRate:
    currency.euro_rate = rate
    row = m.CurrencyRate(
        currency_id=currency.id,
        rate=rate,
        valid_from=clock.now(),
        set_by_id=ctx.actor.user_id or None,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def rate_at(session: Session, currency: m.Currency, moment: datetime) -> Decimal:
    """The rate in force at ``moment``; before the first rate was set, the first rate."""
    found = queries.rate_at(session, currency.id, moment) or queries.first_rate(
        session, currency.id
    )
    return currency.euro_rate if found is None else found.rate


def history(db: Database, actor: Principal, code: str) -> list[RateView]:
    """Every rate the currency has had, newest first (admins and auditors)."""
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        currency_id = get_currency_id(session, code)
        return [RateView.of(row, code) for row in queries.rates_of(session, currency_id)]
