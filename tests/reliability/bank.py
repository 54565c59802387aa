"""The bank workload and its checker, in the manner of Jepsen's bank test: a few hot and many cold
accounts of one currency, writer threads making random transfers over HTTP (each intended
transfer with its own idempotency key, named in its metadata, some sent twice), reader threads
recording every balance they see, and afterwards a check of the whole journal against what the
clients were told.

An outcome is acknowledged (the server answered: written, or refused with a problem) or unknown
(the request timed out or its connection died): an acknowledged write is in the journal exactly
once, a refusal not at all, an unknown one at most once.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

from tests.support import Actor, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind

API = "/api/v1"
CURRENCY = "TRK"
HOT_BALANCE = 300
COLD_BALANCE = 40
REFUSALS = {"insufficient_funds"}


@dataclass(frozen=True)
class Accounts:
    """The workload's accounts and what was issued into them."""

    hot: list[int]
    cold: list[int]
    issued: int

    @property
    def all(self) -> list[int]:
        return [*self.hot, *self.cold]


def open_accounts(ledger: Ledger, hot: int = 3, cold: int = 24) -> Accounts:
    """``hot`` well-funded and ``cold`` thinly funded member accounts, paid from one budget
    that ends empty, so the accounts together hold everything that was issued."""
    ledger.currency(CURRENCY)
    owner = ledger.user(Role.MEMBER)
    hot_ids = [ledger.account(AccountKind.MEMBER, owner).id for _ in range(hot)]
    cold_ids = [ledger.account(AccountKind.MEMBER, owner).id for _ in range(cold)]
    issued = hot * HOT_BALANCE + cold * COLD_BALANCE
    budget = ledger.budget(issued)
    for account in hot_ids:
        ledger.transfer(budget.id, account, HOT_BALANCE)
    for account in cold_ids:
        ledger.transfer(budget.id, account, COLD_BALANCE)
    return Accounts(hot_ids, cold_ids, issued)


@dataclass
class Outcome:
    """What a client learnt about one intended write."""

    key: str
    body: dict[str, Any]
    status: str = "unknown"  # "written", "refused" or "unknown"
    reached: bool = False  # sent to a server that may have acted on it before going silent
    transaction_id: int | None = None
    problem: str | None = None


@dataclass
class History:
    """Everything the clients saw, shared by the threads."""

    outcomes: list[Outcome] = field(default_factory=list)
    seen_balances: list[tuple[int, str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def intended_transfer(rng: random.Random, accounts: Accounts) -> tuple[str, dict[str, Any]]:
    """A random transfer with its key: hot accounts send amounts that sometimes exceed what they
    hold, so refusals happen where the contention is."""
    key = f"bank-{uuid.uuid4().hex}"
    if rng.random() < 0.6:
        source = rng.choice(accounts.hot)
        amount = rng.randint(1, HOT_BALANCE // 3)
    else:
        source = rng.choice(accounts.cold)
        amount = rng.randint(1, COLD_BALANCE // 2)
    target = rng.choice([a for a in accounts.all if a != source])
    body = {
        "from_account_id": source,
        "to_account_id": target,
        "amount": amount,
        "memo": f"bank transfer {key}",
        "metadata": {"op": key},
    }
    return key, body


def send(http: httpx2.Client, actor: Actor, outcome: Outcome, history: History) -> bool:
    """Send ``outcome``'s transfer once and record what the answer says; False when unknown."""
    headers = {**actor.headers, "Idempotency-Key": outcome.key}
    try:
        response = http.post(f"{API}/transfers", json=outcome.body, headers=headers)
    except httpx2.ConnectError:
        return False
    except httpx2.TransportError:
        outcome.reached = True
        return False
    if response.status_code == 201:
        written = int(response.json()["id"])
        if outcome.transaction_id not in (None, written):
            history.error(f"{outcome.key} replayed as {written}, was {outcome.transaction_id}")
        outcome.status, outcome.transaction_id = "written", written
        return True
    if response.status_code >= 500:
        history.error(f"{outcome.key}: {response.status_code} {response.text[:300]}")
        return False
    problem = str(response.json().get("code"))
    if problem not in REFUSALS or outcome.status == "written":
        history.error(f"{outcome.key}: {response.status_code} {problem} after {outcome.status}")
    outcome.status, outcome.problem = "refused", problem
    return True


def writer(
    http: httpx2.Client,
    actor: Actor,
    accounts: Accounts,
    history: History,
    rng: random.Random,
    count: int,
    done: Callable[[], bool] = lambda: False,
) -> None:
    """``count`` intended transfers, or fewer once ``done``; one in eight is sent again with its
    key (the replay must name the same transaction). Unanswered ones stay unknown; a pause after
    each lets a restarting server come back."""
    for _ in range(count):
        if done():
            return
        key, body = intended_transfer(rng, accounts)
        outcome = Outcome(key, body)
        with history.lock:
            history.outcomes.append(outcome)
        if not send(http, actor, outcome, history):
            time.sleep(0.2)
        elif rng.random() < 0.125:
            send(http, actor, outcome, history)


def retry_unknown(
    http: httpx2.Client, actor: Actor, history: History, rng: random.Random, most: int = 200
) -> int:
    """Send unknown transfers again with their keys, as a client whose connection died would:
    half of those that reached a server, then of those refused a connection, ``most`` in all.
    The answer must be an acknowledgement. Returns how many were sent."""
    unknown = [outcome for outcome in history.outcomes if outcome.status == "unknown"]
    reached = [outcome for outcome in unknown if outcome.reached and rng.random() < 0.5]
    others = [outcome for outcome in unknown if not outcome.reached and rng.random() < 0.5]
    again = (reached + others)[:most]
    for outcome in again:
        if not send(http, actor, outcome, history):
            history.error(f"{outcome.key}: no answer to its retry")
    return len(again)


def reader(
    http: httpx2.Client,
    actor: Actor,
    accounts: Accounts,
    history: History,
    rng: random.Random,
    done: Callable[[], bool],
) -> None:
    """Read balances and statements until ``done``, recording every amount seen."""
    seen: list[tuple[int, str, int]] = []
    while not done():
        account = rng.choice(accounts.hot if rng.random() < 0.6 else accounts.cold)
        try:
            whole = http.get(f"{API}/accounts/{account}", headers=actor.headers)
            single = http.get(f"{API}/accounts/{account}/balance", headers=actor.headers)
            lines = http.get(
                f"{API}/accounts/{account}/entries", params={"limit": 20}, headers=actor.headers
            )
        except httpx2.TransportError:
            continue
        for response in (whole, single, lines):
            if response.status_code != 200:
                history.error(f"read {response.url}: {response.status_code} {response.text[:300]}")
        if whole.status_code == 200:
            seen.append((account, "balance", whole.json()["balance"]))
            seen.append((account, "available", whole.json()["available"]))
        if single.status_code == 200:
            seen.append((account, "balance", single.json()["balance"]))
        if lines.status_code == 200:
            seen.extend((account, "after", line["balance_after"]) for line in lines.json()["items"])
    with history.lock:
        history.seen_balances.extend(seen)


def journal(http: httpx2.Client, actor: Actor) -> list[dict[str, Any]]:
    """Every transaction of the currency, in sequence order, through the export feed."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        response = http.get(
            f"{API}/transactions",
            params={"currency": CURRENCY, "after_seq": after, "limit": 500},
            headers=actor.headers,
        )
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(page["items"])
        if page["next_cursor"] is None:
            return found
        after = int(page["next_cursor"])


def check(http: httpx2.Client, actor: Actor, accounts: Accounts, history: History) -> None:
    """Assert the bank's invariants after the load; ``actor`` reads everything."""
    assert history.errors == [], history.errors[:20]
    negative = [seen for seen in history.seen_balances if seen[2] < 0]
    assert negative == [], negative[:20]

    entries = journal(http, actor)
    assert [entry["seq"] for entry in entries] == list(range(1, len(entries) + 1))
    assert all(sum(p["amount"] for p in entry["postings"]) == 0 for entry in entries)

    by_op = Counter(entry["metadata"].get("op") for entry in entries)
    ids_by_op = {entry["metadata"].get("op"): entry["id"] for entry in entries}
    for outcome in history.outcomes:
        times = by_op[outcome.key]
        if outcome.status == "written":
            assert times == 1, (outcome, times)
            assert ids_by_op[outcome.key] == outcome.transaction_id, outcome
        elif outcome.status == "refused":
            assert times == 0, (outcome, times)
        else:
            assert times <= 1, (outcome, times)
    ours = {outcome.key for outcome in history.outcomes}
    strangers = [op for op in by_op if op is not None and op not in ours]
    assert strangers == [], strangers

    from_postings: Counter[int] = Counter()
    for entry in entries:
        for posting in entry["postings"]:
            from_postings[posting["account_id"]] += posting["amount"]
    materialised = {}
    for account in accounts.all:
        response = http.get(f"{API}/accounts/{account}", headers=actor.headers)
        assert response.status_code == 200, response.text
        materialised[account] = response.json()["balance"]
    assert materialised == {account: from_postings[account] for account in accounts.all}
    assert all(balance >= 0 for balance in materialised.values()), materialised
    assert sum(materialised.values()) == accounts.issued

    report = http.get(f"{API}/audit/verify", headers=actor.headers)
    assert report.status_code == 200, report.text
    assert report.json()["ok"] is True, report.json()
