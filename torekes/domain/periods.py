"""Calendar periods on the installation's clock: a day, or a week from Monday. Earning counts an
activity's claims per period; spending sums a member's payments over the day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum


class LimitPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"


def period_start(now: datetime, period: LimitPeriod, zone: tzinfo) -> datetime:
    """The start of the calendar day or week (from Monday) containing ``now``, in ``zone``."""
    local_day: date = now.astimezone(zone).date()
    if period is LimitPeriod.WEEK:
        local_day -= timedelta(days=local_day.weekday())
    return datetime.combine(local_day, time.min, tzinfo=zone)
