"""Races on single use: one single-use claim code, and one one-off payment request, hit by many
members at the same moment through a real server with two worker processes on one database.

Each member has a bearer token and a wallet of their own and sends from a thread of their own on a
fresh connection, all released together by a barrier, so both workers take part (checked through
each worker's own request counter on ``/metrics``). The race runs through the API and through the
phone's pages (``/c/{code}`` and ``/p/{code}``, signed in by cookie, with the form's CSRF token).
Exactly one member wins: one 201, every other answer a 409 refusal saying the code is used or the
request paid (the stable code in the API's problem, the plain words on the page), never a 5xx and
never "database is locked" in an answer or in the server's log. The ledger afterwards holds one
reward or one payment per round, the balances moved once and the audit verifies.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tests.integration import earning_support as earning
from tests.servers import Server
from tests.support import Actor, Ledger
from torekes.db.engine import Database
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.identity import users
from torekes.kit.unit_of_work import write
from torekes.ledger import journal
from torekes.settings import Settings
from torekes.web.problems import PLAIN_WORDS
from torekes.web.session import SESSION_COOKIE

pytestmark = pytest.mark.e2e

MEMBERS = 24
ROUNDS = 3
REWARD = 10
PRICE = 25
TIMEOUT_SECONDS = 60.0
LOCKED = "database is locked"
METRIC_SCRAPES = 40
CLAIMS = "/api/v1/claims"
PAY = "/api/v1/payment-requests/{code}/pay"
HIDDEN_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass(frozen=True)
class Racer:
    user_id: int
    account_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Answer:
    status: int
    problem_code: str | None  # the API's problem ``code``; None for a page
    text: str


# Given a member's own client, get ready (open the page, say) and return the one request to
# fire when the barrier opens.
Arm = Callable[[httpx2.Client, Racer], Callable[[], httpx2.Response]]


def sizes(scale: float) -> tuple[int, int]:
    """How many members race, and for how many rounds per channel, at this scale."""
    return max(4, round(MEMBERS * scale**0.5)), max(1, round(ROUNDS * scale))


def racers(ledger: Ledger, count: int, funds: int = 0) -> list[Racer]:
    """``count`` members, each with a token and a member wallet holding ``funds``."""
    made = earning.members(ledger, count)
    budget = ledger.budget(funds * count) if funds else None

    def equip(ctx: Any) -> list[Racer]:
        equipped = []
        for member in made:
            issued = users.issue_token(ctx, ledger.settings, member.id)
            if budget is not None:
                command = journal.TransferCommand(budget.id, member.account_id, funds)
                journal.transfer(ctx, command)
            equipped.append(Racer(member.id, member.account_id, issued.access_token))
        return equipped

    return write(ledger.db, ledger.admin.principal, equip)


def race(server: Server, contenders: list[Racer], arm: Arm) -> list[Answer]:
    """Each contender, on a connection of its own, armed and then released with all the others at
    the same moment; every answer, in the contenders' order."""
    barrier = threading.Barrier(len(contenders))
    answers: list[Answer | BaseException | None] = [None] * len(contenders)

    def run(index: int, racer: Racer) -> None:
        try:
            with httpx2.Client(
                base_url=server.base_url,
                timeout=TIMEOUT_SECONDS,
                cookies={SESSION_COOKIE: racer.token},
                headers={"Accept-Language": "en"},
            ) as http:
                fire = arm(http, racer)
                barrier.wait(TIMEOUT_SECONDS)
                response = fire()
            is_json = response.headers.get("content-type", "").endswith("json")
            code = response.json().get("code") if is_json else None
            answers[index] = Answer(response.status_code, code, response.text)
        except BaseException as error:  # reported by the main thread below
            barrier.abort()
            answers[index] = error

    threads = [
        threading.Thread(target=run, args=(index, racer), daemon=True)
        for index, racer in enumerate(contenders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    failures = [answer for answer in answers if not isinstance(answer, Answer)]
    assert not failures, failures
    return [answer for answer in answers if isinstance(answer, Answer)]


def api_post(path: str, json: dict[str, Any] | None = None) -> Arm:
    def arm(http: httpx2.Client, racer: Racer) -> Callable[[], httpx2.Response]:
        return lambda: http.post(path, json=json, headers=racer.headers)

    return arm


def page_form(path: str) -> Arm:
    """Open the page signed in by cookie, then send its form with the page's hidden fields (its
    CSRF token, and the one-time key of a form that writes)."""

    def arm(http: httpx2.Client, racer: Racer) -> Callable[[], httpx2.Response]:
        opened = http.get(path)
        assert opened.status_code == 200, opened.text
        fields = dict(HIDDEN_FIELD.findall(opened.text))
        assert "csrf_token" in fields, opened.text
        return lambda: http.post(path, data=fields)

    return arm


def the_winner(answers: list[Answer], lost_code: str) -> Answer:
    """The one 201 among ``answers``; every other one a 409 refusal for ``lost_code``."""
    assert not [a for a in answers if a.status >= 500], [a.text for a in answers]
    assert not [a for a in answers if LOCKED in a.text], [a.text for a in answers]
    won = [a for a in answers if a.status == 201]
    assert len(won) == 1, Counter(a.status for a in answers)
    for answer in answers:
        if answer.status == 201:
            continue
        assert answer.status == 409, answer.text
        if answer.problem_code is not None:
            assert answer.problem_code == lost_code, answer.text
        else:
            assert PLAIN_WORDS[lost_code] in answer.text, answer.text
    return won[0]


def served_by_both_workers(server: Server, method: str, route: str, total: int) -> bool:
    """Whether both worker processes answered some of the ``total`` requests to ``route``.

    Without a shared metrics directory each worker counts only its own requests, and a scrape
    reaches one worker: a count strictly between 0 and ``total`` means the other served the rest.
    """
    for _ in range(METRIC_SCRAPES):
        with httpx2.Client(base_url=server.base_url, timeout=TIMEOUT_SECONDS) as http:
            scraped = http.get("/metrics")
        assert scraped.status_code == 200, scraped.text
        count = sum(
            sample.value
            for family in text_string_to_metric_families(scraped.text)
            for sample in family.samples
            if sample.name == "torekes_http_requests_total"
            and sample.labels.get("method") == method
            and sample.labels.get("route") == route
        )
        if 0 < count < total:
            return True
    return False


def afterwards_all_is_well(server: Server, admin: Actor) -> None:
    """The audit verifies, and the server neither hit a lock error nor logged a traceback."""
    with httpx2.Client(base_url=server.base_url, timeout=TIMEOUT_SECONDS) as http:
        report = http.get("/api/v1/audit/verify", headers=admin.headers)
    assert report.status_code == 200, report.text
    assert report.json()["ok"] is True, report.text
    assert server.process.poll() is None
    log = server.log_text()
    assert LOCKED not in log, log
    assert "Traceback" not in log, log


def scalar(db: Database, query: str, **params: Any) -> Any:
    with db.read_engine.connect() as connection:
        return connection.execute(text(query), params).scalar_one()


def balance(db: Database, account_id: int) -> int:
    """The account's balance as the sum of its postings, checked against the stored one."""
    summed = int(
        scalar(
            db,
            "SELECT COALESCE(SUM(amount), 0) FROM postings WHERE account_id = :a",
            a=account_id,
        )
    )
    assert scalar(db, "SELECT balance FROM accounts WHERE id = :a", a=account_id) == summed
    return summed


def kind_count(db: Database, kind: str) -> int:
    return int(scalar(db, "SELECT COUNT(*) FROM transactions WHERE kind = :k", k=kind))


def test_one_single_use_code_is_claimed_once(
    two_workers: Server, ledger: Ledger, db: Database, settings: Settings, scale: float
) -> None:
    count, rounds = sizes(scale)
    channels = ["api"] * rounds + ["page"] * rounds
    ledger.currency()
    coordinator = earning.coordinator(ledger)
    project = earning.project(ledger, [coordinator], REWARD * len(channels))
    activity = earning.activity(db, coordinator, project.id, reward_amount=REWARD)
    codes = earning.single_codes(db, settings, coordinator, activity.id, count=len(channels))
    members = racers(ledger, count)
    rewarded: Counter[int] = Counter()

    for number, (channel, code) in enumerate(zip(channels, codes, strict=True)):
        page = urlsplit(code.url).path
        assert page == f"/c/{code.code}"
        arm = api_post(CLAIMS, {"code": code.code}) if channel == "api" else page_form(page)
        the_winner(race(two_workers, members, arm), "code_already_used")

        claimed = scalar(db, "SELECT COUNT(*) FROM claims WHERE code_id = :c", c=code.id)
        assert claimed == 1
        winner = scalar(db, "SELECT account_id FROM claims WHERE code_id = :c", c=code.id)
        rewarded[int(winner)] += 1
        assert kind_count(db, "reward") == number + 1

    for member in members:
        assert balance(db, member.account_id) == REWARD * rewarded[member.account_id]
    assert balance(db, project.budget_account_id) == 0
    afterwards_all_is_well(two_workers, ledger.admin)
    assert served_by_both_workers(two_workers, "POST", CLAIMS, count * rounds)
    assert served_by_both_workers(two_workers, "POST", "/c/{code}", count * rounds)


def test_one_payment_request_is_paid_once(
    two_workers: Server, ledger: Ledger, db: Database, scale: float
) -> None:
    count, rounds = sizes(scale)
    channels = ["api"] * rounds + ["page"] * rounds
    ledger.currency()
    keeper = ledger.user(Role.SHOPKEEPER)
    shop = ledger.account(AccountKind.SHOP, keeper)
    wallet = PRICE * len(channels)  # enough for one member to win every round
    members = racers(ledger, count, funds=wallet)
    payments_before = kind_count(db, "payment")
    paid: Counter[int] = Counter()

    for number, channel in enumerate(channels):
        with httpx2.Client(base_url=two_workers.base_url, timeout=TIMEOUT_SECONDS) as http:
            created = http.post(
                "/api/v1/payment-requests",
                json={"shop_account_id": shop.id, "amount": PRICE},
                headers=keeper.headers,
            )
            assert created.status_code == 201, created.text
            code, request_id = created.json()["code"], created.json()["id"]
            page = urlsplit(created.json()["url"]).path
            assert page == f"/p/{code}"
            arm = api_post(PAY.format(code=code)) if channel == "api" else page_form(page)
            the_winner(race(two_workers, members, arm), "payment_request_paid")

            status = http.get(f"/api/v1/payment-requests/{code}", headers=keeper.headers)
        assert status.json()["status"] == "paid", status.text
        made = scalar(
            db, "SELECT COUNT(*) FROM payments WHERE payment_request_id = :r", r=request_id
        )
        assert made == 1
        payer = scalar(
            db, "SELECT payer_account_id FROM payments WHERE payment_request_id = :r", r=request_id
        )
        paid[int(payer)] += 1
        assert kind_count(db, "payment") == payments_before + number + 1

    for member in members:
        assert balance(db, member.account_id) == wallet - PRICE * paid[member.account_id]
    assert balance(db, shop.id) == PRICE * len(channels)
    afterwards_all_is_well(two_workers, ledger.admin)
    assert served_by_both_workers(two_workers, "POST", PAY, count * rounds)
    assert served_by_both_workers(two_workers, "POST", "/p/{code}", count * rounds)
