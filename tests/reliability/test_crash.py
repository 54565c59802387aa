"""Crashes under load: a real server with two workers is killed with SIGKILL (its supervisor
and every worker at once, as a power cut would) at random moments while clients transfer or
claim, and started again, several times. Afterwards every acknowledged write is in the journal
exactly once, an unacknowledged one at most once (and a retry with its key takes effect once),
no single-use code is used twice, and verify passes."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import text

from tests.integration import earning_support as earning
from tests.reliability import bank
from tests.servers import (
    Server,
    free_port,
    server_env,
    start,
    stop,
    uvicorn,
    wait_until_answering,
)
from tests.support import Ledger
from torekes.db.engine import Database
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.settings import Settings

pytestmark = pytest.mark.e2e

WRITERS = 16
CLAIMANTS = 8
REWARD = 10
GONE_DEADLINE_SECONDS = 10.0


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces; the parent id follows the state.
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def _descendants(root: int) -> list[int]:
    found: list[int] = []
    frontier = [root]
    while frontier:
        children = _children(frontier.pop())
        found.extend(children)
        frontier.extend(children)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def crash(server: Server) -> None:
    """SIGKILL uvicorn's supervisor and every process it spawned (the workers, started through
    multiprocessing's spawn, are its children). The supervisor is stopped first, so it cannot
    start a replacement worker while its children are gathered."""
    master = server.process.pid
    os.kill(master, signal.SIGSTOP)
    victims = _descendants(master)
    assert victims, "uvicorn's supervisor has no workers to kill"
    os.kill(master, signal.SIGKILL)
    for pid in victims:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=GONE_DEADLINE_SECONDS)
    deadline = time.monotonic() + GONE_DEADLINE_SECONDS
    while any(_alive(pid) for pid in victims):
        assert time.monotonic() < deadline, f"workers outlived SIGKILL: {victims}"
        time.sleep(0.05)


class Restarts:
    """One server at a time on a fixed port, killed and started again on the same database."""

    def __init__(self, database_url: str, settings: Settings, workdir: Path) -> None:
        self.env = server_env(
            TOREKES_DATABASE_URL=database_url, TOREKES_SECRET_KEY=settings.secret_key
        )
        self.port = free_port()
        self.workdir = workdir
        self.runs = 0
        self.current: Server | None = None
        self.base_url = f"http://127.0.0.1:{self.port}"

    def up(self) -> Server:
        self.runs += 1
        workdir = self.workdir / f"run-{self.runs}"
        workdir.mkdir()
        self.current = start(uvicorn(self.port, workers=2), self.port, self.env, workdir)
        wait_until_answering(self.current, "/healthz")
        return self.current

    def crash(self) -> None:
        assert self.current is not None
        crash(self.current)
        self.current = None

    def down(self) -> None:
        if self.current is not None:
            stop(self.current)
            self.current = None


@pytest.fixture
def restarts(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Restarts]:
    servers = Restarts(database_url, settings, tmp_path)
    try:
        yield servers
    finally:
        if servers.current is not None and servers.current.process.poll() is None:
            crash(servers.current)
        servers.current = None


@contextmanager
def threads(workers: list[threading.Thread]) -> Iterator[None]:
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        for worker in workers:
            worker.join()


def crash_repeatedly(restarts: Restarts, rng: random.Random, crashes: int) -> None:
    """Start, let the load run a random while, SIGKILL; ``crashes`` times; then start again."""
    for _ in range(crashes):
        restarts.up()
        time.sleep(rng.uniform(0.3, 2.0))
        restarts.crash()
    restarts.up()


def test_acknowledged_transfers_survive_sigkill(
    restarts: Restarts, ledger: Ledger, scale: float
) -> None:
    accounts = bank.open_accounts(ledger)
    admin = ledger.admin
    history = bank.History()
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    stopped = threading.Event()

    def write(index: int) -> None:
        with httpx2.Client(base_url=restarts.base_url, timeout=5.0) as http:
            bank.writer(
                http, admin, accounts, history, random.Random(seed + index), 10**9, stopped.is_set
            )

    with threads([threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]):
        try:
            crash_repeatedly(restarts, rng, max(3, round(3 * scale)))
            time.sleep(0.5)  # some load on the last server too
        finally:
            stopped.set()

    with httpx2.Client(base_url=restarts.base_url, timeout=30.0) as http:
        retried = bank.retry_unknown(http, admin, history, rng)
        assert retried > 0, seed
        statuses = Counter(outcome.status for outcome in history.outcomes)
        assert statuses["written"] > 0, (seed, statuses)
        assert statuses["refused"] > 0, (seed, statuses)
        bank.check(http, admin, accounts, history)
    restarts.down()


def test_acknowledged_claims_of_a_code_batch_survive_sigkill(
    restarts: Restarts, ledger: Ledger, db: Database, settings: Settings, scale: float
) -> None:
    ledger.currency(bank.CURRENCY)
    coordinator = earning.coordinator(ledger)
    codes_wanted = round(300 * scale)
    funding = codes_wanted * REWARD
    project = earning.project(ledger, [coordinator], funding)
    activity = earning.activity(db, coordinator, project.id, reward_amount=REWARD)
    codes = [
        code.code
        for offset in range(0, codes_wanted, 500)
        for code in earning.single_codes(
            db, settings, coordinator, activity.id, min(500, codes_wanted - offset)
        )
    ]
    members = [ledger.user(Role.MEMBER) for _ in range(4)]
    for member in members:
        ledger.account(AccountKind.MEMBER, member)

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    queue = list(codes)
    lock = threading.Lock()
    acknowledged: dict[str, dict[str, object]] = {}
    unknown: list[tuple[str, str, int]] = []
    problems: list[str] = []

    def claim(http: httpx2.Client, code: str, key: str, member: int) -> bool:
        headers = {**members[member].headers, "Idempotency-Key": key}
        try:
            response = http.post(f"{bank.API}/claims", json={"code": code}, headers=headers)
        except httpx2.TransportError:
            return False
        with lock:
            if response.status_code == 201:
                acknowledged[code] = response.json()
            else:
                problems.append(f"{code}: {response.status_code} {response.text[:300]}")
        return True

    def claimant(index: int) -> None:
        with httpx2.Client(base_url=restarts.base_url, timeout=5.0) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    code = queue.pop()
                key = f"claim-{code[:16]}"
                if not claim(http, code, key, index % len(members)):
                    with lock:
                        unknown.append((code, key, index % len(members)))
                    time.sleep(0.05)

    # Crash after a random number of acknowledged claims each time, so every kill lands in the
    # middle of the batch however fast the machine is.
    crashes = max(2, round(2 * scale))
    marks = sorted(rng.sample(range(len(codes) // 10, len(codes) * 8 // 10), crashes))
    claimants = [threading.Thread(target=claimant, args=(i,)) for i in range(CLAIMANTS)]
    restarts.up()
    with threads(claimants):
        for mark in marks:
            while len(acknowledged) < mark and any(c.is_alive() for c in claimants):
                time.sleep(0.01)
            restarts.crash()
            restarts.up()
    assert unknown, f"seed {seed}: no claim was cut off by a crash"

    with httpx2.Client(base_url=restarts.base_url, timeout=30.0) as http:
        for code, key, claimant_of in unknown:  # a retry with its key takes effect once
            assert claim(http, code, key, claimant_of), code
        assert problems == [], (seed, problems[:10])
        assert sorted(acknowledged) == sorted(codes)

        entries = bank.journal(http, ledger.admin)
        paid = Counter(posting["account_id"] for e in entries for posting in e["postings"])
        in_journal = Counter(entry["id"] for entry in entries)
        for body in acknowledged.values():
            assert body["status"] == "paid", body
            assert in_journal[body["transaction_id"]] == 1, body
        budget = http.get(
            f"{bank.API}/accounts/{project.budget_account_id}", headers=ledger.admin.headers
        ).json()
        assert budget["balance"] == funding - REWARD * len(codes), (budget, paid)
        report = http.get(f"{bank.API}/audit/verify", headers=ledger.admin.headers)
        assert report.json()["ok"] is True, report.json()

    with db.read_engine.connect() as connection:
        per_code = connection.execute(
            text("SELECT code_id, COUNT(*) FROM claims WHERE activity_id = :a GROUP BY code_id"),
            {"a": activity.id},
        ).all()
        uses = connection.execute(
            text(
                "SELECT c.uses FROM claim_codes c JOIN code_batches b ON b.id = c.batch_id "
                "WHERE b.activity_id = :a"
            ),
            {"a": activity.id},
        ).all()
    assert len(per_code) == len(codes)
    assert {count for _, count in per_code} == {1}
    assert {row[0] for row in uses} == {1}
    claimed_transactions = {body["transaction_id"] for body in acknowledged.values()}
    assert len(claimed_transactions) == len(codes)
    restarts.down()
