"""The benchmark's report: the machine, the versions and the settings, then each section's
figures as a Markdown table (median and, in brackets, the lowest and highest run) and as JSON."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from importlib.metadata import version

from sqlalchemy import create_engine, text

from bench.databases import postgres_server_url
from bench.measures import shown
from bench.throughput import Figure, ThroughputResult

PAYMENT_BAR = 0.5  # end-to-end payments per second against the plain driver's
PLAIN_DRIVER_STATEMENTS = 8  # two reads, one transaction and two postings, three updates
PACKAGES = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "pydantic", "torekes")


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "system": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "packages": {name: version(name) for name in PACKAGES},
    }


def _postgres_version() -> str:
    try:
        engine = create_engine(postgres_server_url())
        try:
            with engine.connect() as connection:
                return str(connection.execute(text("SHOW server_version")).scalar())
        finally:
            engine.dispose()
    except Exception as failure:  # the report says why it could not tell
        return f"unavailable ({type(failure).__name__})"


def heading(about: dict[str, object], settings: dict[str, object]) -> str:
    packages = about["packages"]
    assert isinstance(packages, dict)
    lines = [
        "# Torekes benchmark",
        "",
        f"- Machine: {about['cpu']}, {about['cores']} cores, {about['memory_gib']} GiB,"
        f" {about['system']}",
        f"- Python {about['python']}, SQLite {about['sqlite']}, PostgreSQL {about['postgresql']}",
        "- " + ", ".join(f"{name} {v}" for name, v in packages.items()),
        "- Settings: " + ", ".join(f"{name} {value}" for name, value in settings.items()),
        "- Each cell: median over the runs (lowest-highest run).",
    ]
    return "\n".join(lines)


def throughput_markdown(result: ThroughputResult) -> str:
    lines = [
        f"## Throughput over HTTP: {result.database}",
        "",
        "| workers | clients | payments/s | p50 ms | p99 ms | claims/s | p50 ms | p99 ms"
        " | /healthz/s | plain driver/s | payments ÷ plain | payments ÷ /healthz"
        " | claims ÷ plain | claims ÷ /healthz | server CPU ms per payment, claim, /healthz"
        " | bar: payments ≥ ½ plain |",
        "|" + "---|" * 16,
    ]
    missed = False
    for (workers, clients), figures in sorted(result.served.items()):
        pay, claim, health = figures["payments"], figures["claims"], figures["healthz"]
        plain = result.plain[clients]
        ratio = pay.per_second.ratio_to(plain.per_second)
        verdict = _verdict(ratio, health.per_second.ratio_to(plain.per_second))
        missed = missed or verdict != "met"
        lines.append(
            f"| {workers} | {clients} | {shown(pay.per_second)} | {shown(pay.p50_ms, 1)}"
            f" | {shown(pay.p99_ms, 1)} | {shown(claim.per_second)} | {shown(claim.p50_ms, 1)}"
            f" | {shown(claim.p99_ms, 1)} | {shown(health.per_second)}"
            f" | {shown(plain.per_second)} | {ratio:.2f}"
            f" | {pay.per_second.ratio_to(health.per_second):.2f}"
            f" | {claim.per_second.ratio_to(plain.per_second):.2f}"
            f" | {claim.per_second.ratio_to(health.per_second):.2f}"
            f" | {_cpu_cell(pay, claim, health)}"
            f" | {verdict} |"
        )
    lines += ["", _plain_latencies(result)]
    problems = _unexpected(result)
    if problems:
        lines += ["", "Unexpected answers: " + "; ".join(problems)]
    if missed:
        lines += ["", _why_missed(result)]
    return "\n".join(lines)


def _verdict(payments_to_plain: float, healthz_to_plain: float) -> str:
    if payments_to_plain >= PAYMENT_BAR:
        return "met"
    if healthz_to_plain < PAYMENT_BAR:
        # Not even an answer that does no work at all comes back that often over HTTP.
        return "missed: /healthz itself is below the bar"
    return "missed: service work per payment"


def _plain_latencies(result: ThroughputResult) -> str:
    cells = ", ".join(
        f"{clients} clients p50 {shown(f.p50_ms, 2)} ms, p99 {shown(f.p99_ms, 1)} ms"
        for clients, f in sorted(result.plain.items())
    )
    return f"Plain driver latency per write: {cells}."


def _unexpected(result: ThroughputResult) -> list[str]:
    found = []
    for (workers, clients), figures in sorted(result.served.items()):
        for name, figure in figures.items():
            if figure.unexpected:
                found.append(
                    f"{name} at {workers} workers, {clients} clients: {figure.unexpected}"
                    f" ({' | '.join(figure.errors)})"
                )
    return found


def _cpu_cell(*figures: Figure) -> str:
    return ", ".join(f"{figure.server_cpu_ms.median:.2f}" for figure in figures)


def _why_missed(result: ThroughputResult) -> str:
    """Why payments stay below the bar, from this run's own figures: the server's CPU per
    payment where payments went fastest, and the service's work per payment in process."""
    if not result.served or result.cost is None:
        return "**Why the bar is missed:** not measured in this run."
    (workers, clients), figures = max(
        result.served.items(), key=lambda item: item[1]["payments"].per_second.median
    )
    pay, health = figures["payments"], figures["healthz"]
    plain = result.plain[clients]
    cores = os.cpu_count() or 1
    cpu_ms = pay.server_cpu_ms.median
    cap = cores * 1000 / cpu_ms if cpu_ms > 0 else math.inf
    cost = result.cost
    fewest = min(result.plain)
    return "\n".join(
        [
            f"**Why the bar is missed:** payments went fastest at {workers} workers and"
            f" {clients} clients: {pay.per_second.median:,.0f}/s, where the plain driver wrote"
            f" {plain.per_second.median:,.0f}/s. There the server spent {cpu_ms:.2f} ms of CPU on"
            f" each payment and {health.server_cpu_ms.median:.2f} ms on each `/healthz` answer."
            f" At that cost, even {cores} cores given to the server alone (here the clients"
            f" share them) would answer at most {cap:,.0f} payments/s,"
            f" {cap / plain.per_second.median:.2f} of the plain driver's figure: "
            + (
                "the CPU work per payment alone keeps it below the bar."
                if cap < PAYMENT_BAR * plain.per_second.median
                else "the CPU would allow the bar; the rest is waiting while"
                f" {_held(result.database)}."
            ),
            "",
            f"In process, without HTTP, the service spends {cost.payment_ms:.1f} ms on a payment"
            f" and sends {cost.payment_statements:.0f} SQL statements through the ORM (token"
            " sign-in, idempotency record, payment request, limits, chain head, accounts, journal"
            " rows, payment row, receipt), against"
            f" {result.plain[fewest].p50_ms.median:.2f} ms and"
            f" {PLAIN_DRIVER_STATEMENTS} statements for the plain driver's whole write at"
            f" {fewest} client{'s' if fewest > 1 else ''} (a claim: {cost.claim_ms:.1f} ms,"
            f" {cost.claim_statements:.0f} statements)."
            f" That work is done while {_held(result.database)}, so beyond the cores' limit more"
            " clients or workers only queue.",
        ]
    )


def _held(database: str) -> str:
    if database == "sqlite":
        return "the database's one write lock is held"
    return "the currency's chain head row is locked (every write in a currency queues there)"


def combined_markdown(
    about: dict[str, object],
    settings: dict[str, object],
    throughput: Sequence[ThroughputResult],
    growth: str | None,
) -> str:
    parts = [heading(about, settings)]
    parts += [throughput_markdown(result) for result in throughput]
    if growth:
        parts.append(growth)
    return "\n\n".join(parts) + "\n"
