"""Growth: the reads a member, a shopkeeper and an auditor make, and the audit, as the ledger grows.

For each database and each ledger size, a fresh database is loaded by ``bench.generator``, the
service is started as operators run it (one worker), and one keep-alive client measures the p50
latency of a member's balance, a page of the busiest shop's statement and the trial balance;
then ``verify`` runs in this process. Every figure is measured once per run and shown as its
median and spread. The bars: each read's p50 at the largest size within 1.5 times its p50 at the
smallest, and ``verify`` of the largest ledger under 30 seconds.

Where a bar is missed, the table says what was measured alongside: a read's time inside the
service, without HTTP, at each size, and the round trip of the bare ``/healthz``; for ``verify``,
the CPU time it took in this process and its workers, and the machine's load before it.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx2

from bench.databases import KINDS, fresh_database
from bench.generator import LoadedLedger, Shape, load
from bench.measures import Measure, percentile, shown
from bench.server import serving
from torekes.audit import verification
from torekes.db.engine import Database
from torekes.ledger import accounts

READ_BAR = 1.5  # p50 at the largest size over p50 at the smallest
VERIFY_BAR_SECONDS = 30.0
WARM_UP = 30
REQUESTS = 200
# Calls of a read inside the service (no HTTP), to tell where a missed bar's time went.
SERVICE_CALLS = 50
STATEMENT_PAGE = 50
READS = {
    "balance": "member's balance",
    "statement": f"statement page ({STATEMENT_PAGE} lines) of the busiest shop",
    "trial_balance": "trial balance (auditor)",
}


@dataclass(frozen=True)
class GrowthResult:
    database: str  # "sqlite" | "postgresql"
    sizes: tuple[int, ...]
    reads: dict[str, dict[int, Measure]]  # read name -> size -> p50 ms
    verify_seconds: dict[int, Measure]
    load_seconds: dict[int, float]
    # Measured for the reasons of a missed bar: p50 ms of each read inside the service, p50 ms
    # of /healthz, and per size the CPU seconds verify took (this process, its workers) and
    # the load average before it.
    service_ms: dict[str, dict[int, Measure]] = field(default_factory=dict)
    healthz_ms: dict[int, Measure] = field(default_factory=dict)
    verify_cpu: dict[int, tuple[float, float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Read:
    path: str
    headers: dict[str, str]
    # The same read inside the service, against its database.
    call: Callable[[Database], object]


def measure_growth(kind: str, sizes: Sequence[int], runs: int) -> GrowthResult:
    ordered = tuple(sorted(sizes))
    reads: dict[str, dict[int, Measure]] = {name: {} for name in READS}
    service: dict[str, dict[int, Measure]] = {name: {} for name in READS}
    healthz: dict[int, Measure] = {}
    verify_seconds: dict[int, Measure] = {}
    verify_cpu: dict[int, tuple[float, float, float]] = {}
    load_seconds: dict[int, float] = {}
    for size in ordered:
        with fresh_database(kind) as url:
            ledger = load(url, size)
            load_seconds[size] = ledger.seconds
            plan = _reads(ledger)
            with serving(url, workers=1) as server:
                latencies, health = _over_http(server.base_url, plan, runs)
            for name, measure in latencies.items():
                reads[name][size] = measure
            healthz[size] = health
            database = Database(url)
            try:
                for name, read in plan.items():
                    service[name][size] = _in_service(database, read, runs)
                verify_seconds[size], verify_cpu[size] = _verify(database, runs)
            finally:
                database.dispose()
    return GrowthResult(
        database=kind,
        sizes=ordered,
        reads=reads,
        verify_seconds=verify_seconds,
        load_seconds=load_seconds,
        service_ms=service,
        healthz_ms=healthz,
        verify_cpu=verify_cpu,
    )


def _reads(ledger: LoadedLedger) -> dict[str, _Read]:
    cast = ledger.cast
    member, shopkeeper, auditor = cast.member, cast.shopkeeper, cast.auditor
    return {
        "balance": _Read(
            f"/api/v1/accounts/{ledger.member_account}/balance",
            member.headers,
            lambda db: accounts.balance_as_of(db, member.principal, ledger.member_account, None),
        ),
        "statement": _Read(
            f"/api/v1/accounts/{ledger.busy_account}/entries?limit={STATEMENT_PAGE}",
            shopkeeper.headers,
            lambda db: accounts.statement(
                db, shopkeeper.principal, ledger.busy_account, None, STATEMENT_PAGE
            ),
        ),
        "trial_balance": _Read(
            f"/api/v1/audit/trial-balance?currency={ledger.currency}",
            auditor.headers,
            lambda db: verification.trial_balance(db, auditor.principal, ledger.currency, None),
        ),
    }


def _over_http(
    base_url: str, plan: dict[str, _Read], runs: int
) -> tuple[dict[str, Measure], Measure]:
    """Each read's p50 in ms per run, and the p50 of ``/healthz`` the same way."""
    samples: dict[str, list[float]] = {name: [] for name in plan}
    health: list[float] = []
    with httpx2.Client(base_url=base_url, timeout=60.0) as client:
        for _run in range(runs):
            health.append(_p50_ms(_getter(client, "/healthz", {})))
            for name, read in plan.items():
                samples[name].append(_p50_ms(_getter(client, read.path, read.headers)))
    return {name: Measure.of(values) for name, values in samples.items()}, Measure.of(health)


def _getter(client: httpx2.Client, path: str, headers: dict[str, str]) -> Callable[[], None]:
    def get() -> None:
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")

    return get


def _p50_ms(request: Callable[[], object], count: int = REQUESTS) -> float:
    for _ in range(WARM_UP):
        request()
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        request()
        durations.append((time.perf_counter() - started) * 1000)
    return percentile(durations, 0.5)


def _in_service(database: Database, read: _Read, runs: int) -> Measure:
    return Measure.of(_p50_ms(lambda: read.call(database), SERVICE_CALLS) for _run in range(runs))


def _verify(database: Database, runs: int) -> tuple[Measure, tuple[float, float, float]]:
    """Seconds per run, and of the last run the CPU seconds in this process and in its
    workers, and the one-minute load average before it."""
    seconds: list[float] = []
    cpu = (0.0, 0.0, 0.0)
    for _run in range(runs):
        load_before = os.getloadavg()[0]
        own, workers = _cpu_seconds()
        started = time.perf_counter()
        report = verification.verify(database)
        seconds.append(time.perf_counter() - started)
        if not report.ok:
            raise RuntimeError(f"the loaded ledger does not verify: {report.first_break}")
        own_after, workers_after = _cpu_seconds()
        cpu = (own_after - own, workers_after - workers, load_before)
    return Measure.of(seconds), cpu


def _cpu_seconds() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@dataclass(frozen=True)
class _Verdict:
    figure: str
    cells: list[str]
    ratio: str
    bar: str
    met: bool | None  # None: no bar
    reason: str


def _verdicts(result: GrowthResult) -> list[_Verdict]:
    smallest, largest = result.sizes[0], result.sizes[-1]
    verdicts = []
    for name, label in READS.items():
        by_size = result.reads[name]
        ratio = by_size[largest].ratio_to(by_size[smallest])
        met = ratio <= READ_BAR
        verdicts.append(
            _Verdict(
                f"{label}, p50 ms",
                [shown(by_size[size], 2) for size in result.sizes],
                f"{ratio:.2f}",
                f"≤ {READ_BAR}",
                met,
                "" if met else _read_reason(result, name),
            )
        )
    seconds = result.verify_seconds[largest]
    met = seconds.median < VERIFY_BAR_SECONDS
    verdicts.append(
        _Verdict(
            "verify, s",
            [shown(result.verify_seconds[size], 1) for size in result.sizes],
            f"{seconds.ratio_to(result.verify_seconds[smallest]):,.0f}",
            f"< {VERIFY_BAR_SECONDS:.0f} s at {_size(largest)}",
            met,
            "" if met else _verify_reason(result, largest),
        )
    )
    verdicts.append(
        _Verdict(
            "load by the generator, s",
            [f"{result.load_seconds[size]:,.1f}" for size in result.sizes],
            "",
            "",
            None,
            "",
        )
    )
    return verdicts


def _read_reason(result: GrowthResult, name: str) -> str:
    inside = result.service_ms.get(name, {})
    if not inside:
        return ""
    smallest, largest = result.sizes[0], result.sizes[-1]
    health = result.healthz_ms[largest].median
    return (
        f"inside the service {inside[smallest].median:.2f} ms at {_size(smallest)},"
        f" {inside[largest].median:.2f} ms at {_size(largest)}; /healthz {health:.2f} ms"
    )


def _verify_reason(result: GrowthResult, size: int) -> str:
    own, workers, load_before = result.verify_cpu[size]
    return (
        f"{own + workers:.0f} s of CPU ({own:.0f} s in this process, {workers:.0f} s in the"
        f" workers walking ranges of the journal) on {os.cpu_count()} cores; load average"
        f" {load_before:.1f} before"
    )


def _size(size: int) -> str:
    exponent = len(str(size)) - 1
    return f"10^{exponent}" if size == 10**exponent else f"{size:,}"


def growth_markdown(results: Sequence[GrowthResult]) -> str:
    shape = Shape()
    parts = [
        "## Growth",
        "",
        f"One currency: {shape.budgets} project budgets funded by issuance,"
        f" {shape.members:,} member accounts, {shape.shops} shops; after the issuances, rewards"
        f" (budget to member) and payments (member to shop, {shape.payment_share:.0%} of them,"
        f" {shape.busy_shop_share:.0%} of those at the busiest shop, each with its payment row)."
        " Reads over HTTP with one keep-alive client against one worker, p50 over"
        f" {REQUESTS} requests after {WARM_UP}; verify in process. Ratio: largest size over"
        " smallest.",
    ]
    for result in results:
        sizes = " | ".join(_size(size) for size in result.sizes)
        parts += [
            "",
            f"### {result.database}",
            "",
            f"| figure | {sizes} | ratio | bar | met | why missed (measured) |",
            "|---|" + "---:|" * len(result.sizes) + "---:|---|---|---|",
        ]
        for verdict in _verdicts(result):
            met = "" if verdict.met is None else ("met" if verdict.met else "**missed**")
            parts.append(
                f"| {verdict.figure} | {' | '.join(verdict.cells)} | {verdict.ratio}"
                f" | {verdict.bar} | {met} | {verdict.reason} |"
            )
    return "\n".join(parts)


def growth_json(result: GrowthResult) -> dict[str, object]:
    return {
        "database": result.database,
        "sizes": list(result.sizes),
        "reads_p50_ms": {
            name: {str(size): measure.as_json() for size, measure in by_size.items()}
            for name, by_size in result.reads.items()
        },
        "service_p50_ms": {
            name: {str(size): measure.as_json() for size, measure in by_size.items()}
            for name, by_size in result.service_ms.items()
        },
        "healthz_p50_ms": {str(size): m.as_json() for size, m in result.healthz_ms.items()},
        "verify_seconds": {str(size): m.as_json() for size, m in result.verify_seconds.items()},
        "verify_cpu_seconds": {
            str(size): {"process": own, "hash_workers": workers, "load_average_before": load}
            for size, (own, workers, load) in result.verify_cpu.items()
        },
        "load_seconds": {str(size): seconds for size, seconds in result.load_seconds.items()},
        "bars": [
            {"figure": v.figure, "ratio": v.ratio, "bar": v.bar, "met": v.met, "why": v.reason}
            for v in _verdicts(result)
            if v.met is not None
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__)
    parser.add_argument("--sizes", nargs="+", type=int, default=[1_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--databases", nargs="+", choices=KINDS, default=list(KINDS))
    options = parser.parse_args()
    results = [measure_growth(kind, options.sizes, options.runs) for kind in options.databases]
    print(growth_markdown(results))


if __name__ == "__main__":
    main()
