"""Numbers as people type them on a phone: ``12,50`` or ``12.50``, turned into what the services
take, or refused with the error a page explains in plain words."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from torekes.domain import errors


def minor_units(typed: str, decimals: int) -> int:
    """A typed amount in minor units; refused unless it is positive with at most ``decimals``."""
    value = _number(typed, errors.AmountRequired, errors.InvalidAmount)
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value() or scaled <= 0:
        raise errors.InvalidAmount()
    return int(scaled)


def hours(typed: str) -> Decimal | None:
    """Typed hours, or None when the field was left empty (the service asks for them if needed)."""
    if not typed.strip():
        return None
    return _number(typed, errors.HoursRequired, errors.HoursOutOfRange)


def _number(
    typed: str, missing: type[errors.TorekesError], invalid: type[errors.TorekesError]
) -> Decimal:
    text = typed.strip().replace(",", ".")
    if not text:
        raise missing()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise invalid() from None
    if not value.is_finite():
        raise invalid()
    return value
