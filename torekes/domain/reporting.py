"""Report periods: calendar months in the installation's time zone.

A funder's month is the month on the neighbourhood's calendar, so a payment at 00:30 on the first
of the month in Brussels belongs to that month even though it is still the previous month in UTC.
A report covers whole months, from one month to another inclusive, at most ``MAX_MONTHS`` of them;
without a range it covers the twelve months up to and including the current one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from torekes.domain import errors

MAX_MONTHS = 120
# Years a report may name: any real ledger's, with room on both sides for time zones.
FIRST_YEAR, LAST_YEAR = 1900, 9998
DEFAULT_MONTHS = 12
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM``, as in ``2026-11``."""
        found = _MONTH.fullmatch(text)
        if found is None or not 1 <= int(found[2]) <= 12:
            raise errors.InvalidPeriod(f"{text!r} is not a month written as YYYY-MM")
        if not FIRST_YEAR <= int(found[1]) <= LAST_YEAR:
            raise errors.InvalidPeriod(f"Reports cover the years {FIRST_YEAR} to {LAST_YEAR}")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, moment: datetime, zone: tzinfo) -> Month:
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def minus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 - months
        return Month(index // 12, index % 12 + 1)

    def start(self, zone: tzinfo) -> datetime:
        """The first moment of the month on the local calendar, in UTC."""
        return datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last`` inclusive; refuses an empty or too long range."""
    if last < first:
        raise errors.InvalidPeriod(f"The period ends ({last}) before it starts ({first})")
    months = [first]
    while months[-1] < last:
        if len(months) == MAX_MONTHS:
            raise errors.InvalidPeriod(f"A report covers at most {MAX_MONTHS} months")
        months.append(months[-1].next())
    return months


def report_months(first: str | None, last: str | None, now: datetime, zone: tzinfo) -> list[Month]:
    """The months a report covers: as asked, or the twelve up to the current month."""
    end = Month.parse(last) if last else Month.of(now, zone)
    start = Month.parse(first) if first else end.minus(DEFAULT_MONTHS - 1)
    return months_between(start, end)
