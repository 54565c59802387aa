"""Repeated measurements and how they are summarised: the median and the spread (lowest and
highest run), so that one noisy run on a shared machine neither hides nor invents a change."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Measure:
    """One figure measured once per run."""

    samples: tuple[float, ...]

    @classmethod
    def of(cls, values: Iterable[float]) -> Measure:
        samples = tuple(values)
        if not samples:
            raise ValueError("a measure needs at least one sample")
        return cls(samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    def ratio_to(self, ceiling: Measure) -> float:
        """This figure's median as a share of the ceiling's median."""
        return self.median / ceiling.median if ceiling.median else float("inf")

    def as_json(self) -> dict[str, object]:
        return {
            "median": self.median,
            "low": self.low,
            "high": self.high,
            "samples": list(self.samples),
        }


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0-1) percentile of ``values`` by the nearest-rank method."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def shown(measure: Measure, digits: int = 0) -> str:
    """``median (low-high)`` for a table cell."""
    return f"{measure.median:,.{digits}f} ({measure.low:,.{digits}f}-{measure.high:,.{digits}f})"
