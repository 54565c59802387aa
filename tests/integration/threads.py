"""Real threads released together: the harness of the concurrency tests.

Every thread waits at one barrier so their writes start at once; each records what its work
returned or raised, and the tests count the outcomes. Threads are joined with a generous limit so
that a deadlock fails the test instead of hanging the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JOIN_LIMIT_SECONDS = 180


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None


def run_concurrently(count: int, work: Callable[[int], Any]) -> list[Outcome]:
    """Run ``work(i)`` for i in range(count) on ``count`` threads released by one barrier."""
    barrier = threading.Barrier(count)
    outcomes: list[Outcome | None] = [None] * count

    def main(index: int) -> None:
        try:
            barrier.wait(timeout=JOIN_LIMIT_SECONDS)
            outcomes[index] = Outcome(value=work(index))
        except BaseException as error:  # recorded and asserted on by the test
            outcomes[index] = Outcome(error=error)

    threads = [threading.Thread(target=main, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_LIMIT_SECONDS)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads still running (deadlock?): {stuck}"
    return [outcome or Outcome(error=AssertionError("no outcome")) for outcome in outcomes]


def successes(outcomes: list[Outcome]) -> list[Any]:
    return [outcome.value for outcome in outcomes if outcome.error is None]


def failures(outcomes: list[Outcome]) -> list[BaseException]:
    return [outcome.error for outcome in outcomes if outcome.error is not None]


def unexpected(outcomes: list[Outcome], *allowed: type[BaseException]) -> list[str]:
    """Every error that is not one of ``allowed`` (database errors, assertions, ...)."""
    return [
        f"{type(error).__module__}.{type(error).__name__}: {error}"
        for error in failures(outcomes)
        if not isinstance(error, allowed)
    ]
