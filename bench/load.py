"""A closed-loop HTTP load generator: C clients, each on its own keep-alive connection, send one
request, wait for the answer, and send the next, for a fixed time after a warm-up.

The clients run as asyncio tasks spread over a few processes. They speak just enough HTTP/1.1
(requests built once per call, answers framed by ``Content-Length``, which the service always
sends) to spend little CPU: the load generator shares the machine's two cores with the server,
and a general-purpose client library costs about one and a half times as much per request
(measured here against ``/healthz``), which would lower every figure, ceilings included.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier
from typing import Protocol
from urllib.parse import urlsplit

from bench.cpu import tree_cpu_seconds
from bench.measures import percentile

PROCESSES = 2
ERRORS_KEPT = 5
STARTUP_DEADLINE_SECONDS = 60.0
# Between the processes being ready and the warm-up starting: time to hand them their share.
STARTUP_MARGIN_SECONDS = 0.2


class Workload(Protocol):
    """What each client sends: ``request(client, n)`` is the ``n``-th request of ``client``."""

    @property
    def expected_status(self) -> int: ...

    def request(self, client: int, n: int) -> tuple[str, str, dict[str, str], bytes]: ...


@dataclass(frozen=True, slots=True)
class LoadSettings:
    clients: int
    seconds: float
    warmup_seconds: float


@dataclass(slots=True)
class LoadResult:
    """What one run saw in its measured window."""

    completed: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    # CPU seconds the server's processes used within the window, when the server was watched.
    server_cpu_seconds: float = math.nan

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 0.50) * 1000 if self.latencies else math.nan

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 0.99) * 1000 if self.latencies else math.nan

    @property
    def server_cpu_ms(self) -> float:
        """The server's CPU milliseconds per answer in the window."""
        return self.server_cpu_seconds * 1000 / self.completed if self.completed else math.nan

    @property
    def unexpected(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 300)


def wire(method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: bench"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length) if length else b""


async def _client(
    base_url: str,
    workload: Workload,
    client: int,
    start: float,
    end: float,
    result: LoadResult,
) -> None:
    address = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    n = 0
    try:
        while True:
            sent = time.monotonic()
            if sent >= end:
                return
            method, path, headers, body = workload.request(client, n)
            n += 1
            status, answer = await _exchange(reader, writer, wire(method, path, headers, body))
            done = time.monotonic()
            # Throughput counts the answers that arrive within the window, whenever they were
            # asked, so a slow server is not mistaken for one that did nothing.
            if not start <= done <= end:
                continue
            result.completed += 1
            result.latencies.append(done - sent)
            result.statuses[status] += 1
            if status != workload.expected_status and len(result.errors) < ERRORS_KEPT:
                result.errors.append(f"{status} {answer[:200]!r}")
    finally:
        writer.close()


def _process_main(
    base_url: str, workload: Workload, clients: range, start: float, end: float
) -> LoadResult:
    result = LoadResult(0, end - start, [])

    async def everyone() -> None:
        await asyncio.gather(*(_client(base_url, workload, c, start, end, result) for c in clients))

    asyncio.run(everyone())
    return result


def _get_ready(ready: Barrier, workload: Workload) -> None:
    """A client process's start: ``workload`` arrives unpickled, its modules imported."""
    del workload
    ready.wait(timeout=STARTUP_DEADLINE_SECONDS)


def run(
    base_url: str, workload: Workload, settings: LoadSettings, server_pid: int | None = None
) -> LoadResult:
    """Drive ``settings.clients`` clients against ``base_url`` and gather what they saw, with
    the CPU time the process ``server_pid`` and its workers spent in the window."""
    processes = min(PROCESSES, settings.clients)
    shares = [range(p, settings.clients, processes) for p in range(processes)]
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    with context.Pool(processes, initializer=_get_ready, initargs=(ready, workload)) as pool:
        # Every process starts counting at the same moment, once all of them have started and
        # imported what they send: on a busy machine that alone can take seconds.
        ready.wait(timeout=STARTUP_DEADLINE_SECONDS)
        start = time.monotonic() + STARTUP_MARGIN_SECONDS + settings.warmup_seconds
        end = start + settings.seconds
        watch = _CpuWatch(server_pid, start, end) if server_pid is not None else None
        parts = pool.starmap(
            _process_main, [(base_url, workload, share, start, end) for share in shares]
        )
    total = LoadResult(0, settings.seconds, [])
    if watch is not None:
        total.server_cpu_seconds = watch.seconds()
    for part in parts:
        total.completed += part.completed
        total.latencies += part.latencies
        total.statuses.update(part.statuses)
        total.errors += part.errors[: ERRORS_KEPT - len(total.errors)]
    return total


class _CpuWatch:
    """Reads the server's CPU time when the window opens and when it closes, from a thread of
    this process, which only waits for the clients meanwhile."""

    def __init__(self, pid: int, start: float, end: float) -> None:
        self.readings: list[float] = []
        self.thread = threading.Thread(target=self._watch, args=(pid, start, end), daemon=True)
        self.thread.start()

    def _watch(self, pid: int, start: float, end: float) -> None:
        for moment in (start, end):
            time.sleep(max(0.0, moment - time.monotonic()))
            self.readings.append(tree_cpu_seconds(pid))

    def seconds(self) -> float:
        self.thread.join()
        return self.readings[1] - self.readings[0]
