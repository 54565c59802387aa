"""Limiting code guessing: claim codes, short codes and payment-request codes that name nothing.

Codes are looked up by their digest in a read-only transaction before any write begins, so a
miss never writes and never takes SQLite's write lock; misses are therefore counted here, in the
memory of the service process, per client address over a sliding window. A client with too many
misses gets 429 ``too_many_attempts`` with ``Retry-After`` until the oldest leaves the window,
codes that exist included. The count is per process: with N worker processes a client may miss up
to N times the limit, which still leaves a 160-bit code (or a 60-bit short code) far out of reach;
the limit is there to stop a sweep from costing the service, not to protect the codes' entropy.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from torekes.domain import errors

T = TypeVar("T")
# Clients remembered at most; past it, the ones with the oldest misses are forgotten first.
MAX_CLIENTS = 100_000


class MissLimiter:
    """Misses per client address over a sliding window of ``window_seconds``."""

    def __init__(
        self,
        max_misses: int,
        window_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_misses = max_misses
        self.window_seconds = window_seconds
        self._clock = clock
        self._misses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Refuse (429) a client that has missed too often within the window."""
        with self._lock:
            now = self._clock()
            misses = self._recent(client, now)
            if misses is not None and len(misses) >= self.max_misses:
                retry_after = max(1, int(misses[0] + self.window_seconds - now) + 1)
                raise errors.RateLimited(
                    "Too many unknown codes; try again later", retry_after=retry_after
                )

    def miss(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            misses = self._recent(client, now)
            if misses is None:
                if len(self._misses) >= MAX_CLIENTS:
                    self._forget_oldest()
                misses = self._misses[client] = deque()
            misses.append(now)

    def look_up(
        self,
        client: str,
        find: Callable[[], T | None],
        missing: Callable[[], errors.TorekesError],
    ) -> T:
        """``find``'s answer, after checking the client may still guess; a miss is counted and
        refused with ``missing()``."""
        self.check(client)
        found = find()
        if found is None:
            self.miss(client)
            raise missing()
        return found

    def _recent(self, client: str, now: float) -> deque[float] | None:
        misses = self._misses.get(client)
        if misses is None:
            return None
        while misses and misses[0] <= now - self.window_seconds:
            misses.popleft()
        if not misses:
            del self._misses[client]
            return None
        return misses

    def _forget_oldest(self) -> None:
        oldest = min(self._misses, key=lambda client: self._misses[client][-1])
        del self._misses[oldest]
