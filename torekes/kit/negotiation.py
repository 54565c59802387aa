"""Reading the lists of HTTP content negotiation (``Accept``, ``Accept-Language``): each value
with its quality, as the client ranked them."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Choice:
    value: str  # lower case, parameters other than ``q`` dropped
    quality: float  # 0 to 1; a malformed ``q`` counts as 0 (not acceptable)
    position: int


def choices(header: str) -> list[Choice]:
    """The header's values, best first (ties keep the client's order)."""
    found: list[Choice] = []
    for position, item in enumerate(header.split(",")):
        value, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, raw = param.strip().partition("=")
            if name.strip().lower() == "q":
                quality = _quality(raw.strip())
        if value.strip():
            found.append(Choice(value.strip().lower(), quality, position))
    return sorted(found, key=lambda choice: (-choice.quality, choice.position))


def _quality(raw: str) -> float:
    try:
        quality = float(raw)
    except ValueError:
        return 0.0
    return quality if math.isfinite(quality) and 0 <= quality <= 1 else 0.0
