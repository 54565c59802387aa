"""Keyset pagination cursors: opaque to clients, a plain integer position inside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from torekes.domain import errors

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def parse_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
        raise errors.InvalidCursor()
    return int(cursor)


def next_cursor(positions: list[int], limit: int) -> str | None:
    """A cursor after the last item when the page was full (there may be more), else ``None``."""
    return str(positions[-1]) if len(positions) == limit and positions else None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """One page of a listing: its items, and the cursor of the next page (``None`` at the end)."""

    items: list[T]
    next_cursor: str | None
