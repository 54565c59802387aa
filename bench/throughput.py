"""End-to-end throughput over HTTP and its ceilings, for one database kind.

For each worker count and each number of clients, every run measures, one after the other on the
same server, ``/healthz`` (the HTTP ceiling), payments to the shop's standing QR and QR claims;
the plain driver script (the storage ceiling) writes the same rows at each number of clients.
Runs are interleaved rather than grouped, so that a noisy moment on the shared machine lands on
every figure of a run alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bench import community, load, plain_driver, service_cost
from bench.databases import fresh_database
from bench.load import LoadResult, LoadSettings, Workload
from bench.measures import Measure
from bench.server import BENCH_SECRET_KEY, serving
from bench.workloads import Claims, Healthz, Payments
from torekes.settings import Settings

SCENARIOS = ("healthz", "payments", "claims")


@dataclass(frozen=True, slots=True)
class Figure:
    """Requests per second and latency percentiles (ms) over the runs, with what went wrong."""

    per_second: Measure
    p50_ms: Measure
    p99_ms: Measure
    # The server's CPU milliseconds per answer (nan where no server was watched).
    server_cpu_ms: Measure
    unexpected: int
    errors: tuple[str, ...]

    @classmethod
    def of(cls, results: Sequence[LoadResult]) -> Figure:
        return cls(
            Measure.of(r.per_second for r in results),
            Measure.of(r.p50_ms for r in results),
            Measure.of(r.p99_ms for r in results),
            Measure.of(r.server_cpu_ms for r in results),
            sum(r.unexpected for r in results),
            tuple(error for r in results for error in r.errors)[:3],
        )

    def as_json(self) -> dict[str, object]:
        return {
            "per_second": self.per_second.as_json(),
            "p50_ms": self.p50_ms.as_json(),
            "p99_ms": self.p99_ms.as_json(),
            "server_cpu_ms_per_request": self.server_cpu_ms.as_json(),
            "unexpected_responses": self.unexpected,
            "errors": list(self.errors),
        }


@dataclass(slots=True)
class ThroughputResult:
    database: str
    # (workers, clients) -> scenario -> figure
    served: dict[tuple[int, int], dict[str, Figure]] = field(default_factory=dict)
    # clients -> the plain driver's figure
    plain: dict[int, Figure] = field(default_factory=dict)
    cost: service_cost.Cost | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "database": self.database,
            "served": [
                {"workers": w, "clients": c, **{s: f.as_json() for s, f in figures.items()}}
                for (w, c), figures in sorted(self.served.items())
            ],
            "plain_driver": [
                {"clients": c, **figure.as_json()} for c, figure in sorted(self.plain.items())
            ],
            "service_cost": None if self.cost is None else self.cost.as_json(),
        }


def measure_throughput(
    kind: str,
    workers: Sequence[int],
    clients: Sequence[int],
    runs: int,
    settings: LoadSettings,
) -> ThroughputResult:
    result = ThroughputResult(kind)
    with fresh_database(kind) as url:
        app_settings = Settings(database_url=url, secret_key=BENCH_SECRET_KEY)
        town = community.build(url, app_settings, max(clients))
        for count in clients:
            window = LoadSettings(count, settings.seconds, settings.warmup_seconds)
            result.plain[count] = Figure.of(
                [plain_driver.run(url, town, window) for _ in range(runs)]
            )
        for worker_count in workers:
            with serving(url, worker_count) as server:
                for count in clients:
                    window = LoadSettings(count, settings.seconds, settings.warmup_seconds)
                    seen: dict[str, list[LoadResult]] = {name: [] for name in SCENARIOS}
                    for run in range(runs):
                        tag = f"w{worker_count}c{count}r{run}"
                        workloads: dict[str, Workload] = {
                            "healthz": Healthz(),
                            "payments": Payments(town, f"pay-{tag}"),
                            "claims": Claims(town, f"claim-{tag}"),
                        }
                        for name, workload in workloads.items():
                            seen[name].append(
                                load.run(server.base_url, workload, window, server.process.pid)
                            )
                    result.served[(worker_count, count)] = {
                        name: Figure.of(found) for name, found in seen.items()
                    }
        result.cost = service_cost.measure(url, app_settings, town)
    return result
