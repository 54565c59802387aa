"""Four eyes through the API: with ``TOREKES_FOUR_EYES_ABOVE`` set, issuances, general entries and
reversals that move more than the threshold come back as 202 with an approval request instead of
a transaction; nothing is posted until a second administrator approves, and then exactly the
filed entry is. The requester cannot approve (but may withdraw), a decided request stays decided,
a request that could never post is refused at once with the ledger's own error, auditors read but
do not decide, other roles see nothing, and every step is in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import (
    API,
    APPROVAL_KEYS,
    LedgerSnapshot,
    assert_invalid,
    assert_problem,
    snapshot,
)
from tests.conftest import settings_for
from tests.support import Actor, Ledger
from torekes.app import create_app
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import AccountView, CurrencyView
from torekes.settings import Settings
from torekes.spending import reversals

THRESHOLD = 1000  # whole units
BUDGET_FUNDS = 50_000
MEMBER_FUNDS = 2_000
CENTS_BUDGET_FUNDS = 5_000_000


@pytest.fixture
def settings(database_url: str) -> Settings:
    """This module's installation: the shared test settings with a four-eyes threshold."""
    return settings_for(database_url, four_eyes_above=Decimal(THRESHOLD))


@dataclass
class Scene:
    """TRK (0 decimals) with a funded budget, a funded member account and a shop; CNT (2 decimals)
    with a funded budget; two administrators and an auditor."""

    client: TestClient
    ledger: Ledger
    admin: Actor
    second: Actor
    auditor: Actor
    trk: CurrencyView
    cnt: CurrencyView
    budget: AccountView
    member: AccountView
    shop: AccountView
    cents_budget: AccountView

    def limit(self, decimals: int) -> int:
        """The threshold in minor units: the largest amount that still posts at once."""
        return int(THRESHOLD * 10**decimals)

    def post(
        self, path: str, body: Any = None, actor: Actor | None = None, key: str | None = None
    ) -> Any:
        headers = dict((actor or self.admin).headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(f"{API}{path}", json=body, headers=headers)

    def get(self, path: str, actor: Actor | None = None, **params: Any) -> Any:
        return self.client.get(f"{API}{path}", headers=(actor or self.admin).headers, params=params)

    def issue(self, account_id: int, amount: int, **more: Any) -> Any:
        return self.post("/issuances", {"to_account_id": account_id, "amount": amount, **more})

    def file_issuance(self, amount: int = THRESHOLD + 1, actor: Actor | None = None) -> Any:
        response = self.post(
            "/issuances", {"to_account_id": self.budget.id, "amount": amount}, actor
        )
        assert response.status_code == 202, response.text
        return response.json()

    def approve(self, request_id: int, actor: Actor | None = None, note: str | None = None) -> Any:
        body = None if note is None else {"note": note}
        return self.post(f"/approvals/{request_id}/approve", body, actor or self.second)

    def reject(self, request_id: int, actor: Actor | None = None, note: str | None = None) -> Any:
        body = None if note is None else {"note": note}
        return self.post(f"/approvals/{request_id}/reject", body, actor or self.admin)

    def request(self, request_id: int) -> dict[str, Any]:
        response = self.get(f"/approvals/{request_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def requests(self, status: str | None = None) -> list[dict[str, Any]]:
        if status is None:
            response = self.get("/approvals")
        else:
            response = self.get("/approvals", status=status)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    def transaction(self, transaction_id: int) -> dict[str, Any]:
        response = self.get(f"/transactions/{transaction_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def balance(self, account_id: int) -> int:
        response = self.get(f"/accounts/{account_id}/balance")
        assert response.status_code == 200, response.text
        return int(response.json()["balance"])

    def snapshot(self) -> LedgerSnapshot:
        """The whole ledger read through the API; also asserts that the audit verifies."""
        return snapshot(self.client, self.admin.headers)

    def events(self, action: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"subject_type": "approval_request", "limit": 200}
        if action is not None:
            params["action"] = action
        response = self.get("/audit/events", **params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@pytest.fixture
def scene(client: TestClient, ledger: Ledger) -> Scene:
    trk = ledger.currency("TRK")
    cnt = ledger.currency("CNT", decimals=2)
    budget = ledger.budget(BUDGET_FUNDS)
    member = ledger.account(AccountKind.MEMBER, ledger.user(Role.MEMBER))
    ledger.transfer(budget.id, member.id, MEMBER_FUNDS)
    shop = ledger.account(AccountKind.SHOP, ledger.user(Role.SHOPKEEPER))
    cents_budget = ledger.budget(CENTS_BUDGET_FUNDS, currency="CNT")
    return Scene(
        client=client,
        ledger=ledger,
        admin=ledger.admin,
        second=ledger.user(Role.ADMIN),
        auditor=ledger.user(Role.AUDITOR),
        trk=trk,
        cnt=cnt,
        budget=budget,
        member=member,
        shop=shop,
        cents_budget=cents_budget,
    )


def _aware(moment: str) -> datetime:
    parsed = datetime.fromisoformat(moment)
    assert parsed.tzinfo is not None, moment
    return parsed


def _pairs(postings: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return sorted((int(p["account_id"]), int(p["amount"])) for p in postings)


# --- the threshold ------------------------------------------------------------------------------


@pytest.mark.parametrize("decimals", [0, 2], ids=["TRK-0-decimals", "CNT-2-decimals"])
def test_exactly_the_threshold_posts_and_one_minor_unit_more_is_filed(
    scene: Scene, decimals: int
) -> None:
    currency = scene.trk if decimals == 0 else scene.cnt
    budget = scene.budget if decimals == 0 else scene.cents_budget
    funds = scene.balance(budget.id)
    limit = scene.limit(decimals)

    below = scene.issue(budget.id, limit - 1)
    assert below.status_code == 201, below.text
    at = scene.issue(budget.id, limit)
    assert at.status_code == 201, at.text
    assert at.json()["kind"] == "issuance"
    assert _pairs(at.json()["postings"]) == sorted(
        [(currency.issuance_account_id, -limit), (budget.id, limit)]
    )
    before = scene.snapshot()

    above = scene.issue(budget.id, limit + 1)

    assert above.status_code == 202, above.text
    filed = above.json()
    assert (filed["kind"], filed["currency"], filed["amount"]) == (
        "issuance",
        currency.code,
        limit + 1,
    )
    assert scene.snapshot() == before
    assert scene.balance(budget.id) == funds + 2 * limit - 1
    assert [item["id"] for item in scene.requests()] == [filed["id"]]


def test_without_a_threshold_everything_posts_at_once(scene: Scene, settings: Settings) -> None:
    off = settings.model_copy(update={"four_eyes_above": None})
    with TestClient(create_app(off)) as plain:
        response = plain.post(
            f"{API}/issuances",
            json={"to_account_id": scene.budget.id, "amount": 100 * THRESHOLD},
            headers=scene.admin.headers,
        )
    assert response.status_code == 201, response.text
    assert scene.requests() == []


def test_a_threshold_of_zero_files_everything(scene: Scene, settings: Settings) -> None:
    zero = settings.model_copy(update={"four_eyes_above": Decimal(0)})
    with TestClient(create_app(zero)) as strict:
        response = strict.post(
            f"{API}/issuances",
            json={"to_account_id": scene.budget.id, "amount": 1},
            headers=scene.admin.headers,
        )
    assert response.status_code == 202, response.text
    assert response.json()["amount"] == 1


def test_the_threshold_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("TOREKES_FOUR_EYES_ABOVE", "2500.50")
    assert Settings(database_url=database_url).four_eyes_above == Decimal("2500.50")
    monkeypatch.setenv("TOREKES_FOUR_EYES_ABOVE", "-1")
    with pytest.raises(ValueError, match="four_eyes_above"):
        Settings(database_url=database_url)
    monkeypatch.delenv("TOREKES_FOUR_EYES_ABOVE")
    assert Settings(database_url=database_url).four_eyes_above is None


# --- filing -------------------------------------------------------------------------------------


def test_the_202_body_describes_the_request_and_nothing_is_posted(scene: Scene) -> None:
    before = scene.snapshot()
    body = {
        "to_account_id": scene.budget.id,
        "amount": 5_000,
        "memo": "Spring budget",
        "metadata": {"decision": "board 2026-03", "lines": [1, 2]},
    }

    response = scene.post("/issuances", body)

    assert response.status_code == 202, response.text
    assert response.headers["content-type"].startswith("application/json")
    filed = response.json()
    assert set(filed) == APPROVAL_KEYS
    assert filed["kind"] == "issuance"
    assert filed["currency"] == "TRK"
    assert filed["amount"] == 5_000
    assert filed["payload"] == body
    assert filed["status"] == "pending"
    assert filed["requested_by_id"] == scene.admin.id
    _aware(filed["requested_at"])
    assert (filed["decided_by_id"], filed["decided_at"], filed["transaction_id"]) == (
        None,
        None,
        None,
    )
    assert filed["note"] == ""
    # Nothing moved: balances, journals, chain heads, and the audit still verifies.
    assert scene.snapshot() == before
    assert scene.balance(scene.budget.id) == BUDGET_FUNDS - MEMBER_FUNDS
    # The request reads back the same, alone and in the lists.
    assert scene.request(filed["id"]) == filed
    assert scene.requests() == [filed]
    assert scene.requests("pending") == [filed]
    assert scene.requests("approved") == []
    assert scene.requests("rejected") == []


def test_requests_are_listed_newest_first_and_by_status(scene: Scene) -> None:
    first = scene.file_issuance(1_001)
    second = scene.file_issuance(1_002)
    third = scene.file_issuance(1_003)
    assert scene.approve(second["id"]).status_code == 201
    assert scene.reject(third["id"]).status_code == 200

    assert [item["id"] for item in scene.requests()] == [third["id"], second["id"], first["id"]]
    assert [item["id"] for item in scene.requests("pending")] == [first["id"]]
    assert [item["id"] for item in scene.requests("approved")] == [second["id"]]
    assert [item["id"] for item in scene.requests("rejected")] == [third["id"]]
    assert_invalid(scene.get("/approvals", status="maybe"), "query.status")


def test_a_general_entry_above_the_threshold_is_filed_and_posts_on_approval(
    scene: Scene,
) -> None:
    """What decides is what the entry moves (its positive postings), not any single posting:
    two debits of 600 and two credits of 600 move 1200."""
    at_threshold = {
        "currency": "TRK",
        "kind": "reward",
        "postings": [
            {"account_id": scene.budget.id, "amount": -THRESHOLD},
            {"account_id": scene.member.id, "amount": 400},
            {"account_id": scene.shop.id, "amount": 600},
        ],
    }
    posted = scene.post("/transactions", at_threshold)
    assert posted.status_code == 201, posted.text
    body: dict[str, Any] = {
        "currency": "TRK",
        "kind": "adjustment",
        "memo": "Move the season's funds",
        "metadata": {"ticket": 17},
        "postings": [
            {"account_id": scene.budget.id, "amount": -600},
            {"account_id": scene.member.id, "amount": -600},
            {"account_id": scene.shop.id, "amount": 600},
            {"account_id": scene.ledger.account(AccountKind.BUDGET).id, "amount": 600},
        ],
    }
    before = scene.snapshot()

    response = scene.post("/transactions", body)

    assert response.status_code == 202, response.text
    filed = response.json()
    assert (filed["kind"], filed["amount"]) == ("entry", 1_200)
    assert filed["payload"] == {
        "currency": "TRK",
        "kind": "adjustment",
        "postings": [[p["account_id"], p["amount"]] for p in body["postings"]],
        "memo": "Move the season's funds",
        "metadata": {"ticket": 17},
    }
    assert scene.snapshot() == before

    approved = scene.approve(filed["id"])

    assert approved.status_code == 201, approved.text
    entry = approved.json()
    assert entry["kind"] == "adjustment"
    assert entry["memo"] == "Move the season's funds"
    assert entry["metadata"] == {"ticket": 17}
    assert _pairs(entry["postings"]) == sorted(
        (p["account_id"], p["amount"]) for p in body["postings"]
    )
    assert entry["seq"] == before.last_seqs["TRK"] + 1
    assert scene.request(filed["id"])["transaction_id"] == entry["id"]
    after = scene.snapshot()
    assert after.last_seqs["TRK"] == before.last_seqs["TRK"] + 1


# --- approving ----------------------------------------------------------------------------------


def test_a_second_admin_approves_and_exactly_the_filed_entry_posts(scene: Scene) -> None:
    body: dict[str, Any] = {
        "to_account_id": scene.budget.id,
        "amount": 7_500,
        "memo": "Yearly subsidy",
        "metadata": {"grant": "city-2026"},
    }
    filed = scene.post("/issuances", body).json()
    before = scene.snapshot()
    old_head = scene.transaction(_last_transaction_id(scene, "TRK"))["hash"]

    response = scene.approve(filed["id"], note="Checked against the grant letter")

    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["kind"] == "issuance"
    assert entry["currency"] == "TRK"
    assert entry["memo"] == "Yearly subsidy"
    assert entry["metadata"] == {"grant": "city-2026"}
    assert entry["reverses_id"] is None
    assert _pairs(entry["postings"]) == sorted(
        [(scene.trk.issuance_account_id, -7_500), (scene.budget.id, 7_500)]
    )
    assert entry["seq"] == before.last_seqs["TRK"] + 1
    assert entry["prev_hash"] == old_head
    assert scene.transaction(entry["id"]) == entry

    decided = scene.request(filed["id"])
    assert decided["status"] == "approved"
    assert decided["transaction_id"] == entry["id"]
    assert decided["decided_by_id"] == scene.second.id
    assert decided["requested_by_id"] == scene.admin.id
    assert decided["note"] == "Checked against the grant letter"
    assert _aware(decided["decided_at"]) >= _aware(decided["requested_at"])
    assert {k: v for k, v in decided.items() if k not in DECISION} == {
        k: v for k, v in filed.items() if k not in DECISION
    }

    after = scene.snapshot()
    assert after.last_seqs == {**before.last_seqs, "TRK": before.last_seqs["TRK"] + 1}
    assert after.journal_lengths["TRK"] == before.journal_lengths["TRK"] + 1
    assert scene.balance(scene.budget.id) == BUDGET_FUNDS - MEMBER_FUNDS + 7_500
    assert after.accounts[scene.trk.issuance_account_id][0] == -BUDGET_FUNDS - 7_500
    changed = {i for i in after.accounts if after.accounts[i] != before.accounts[i]}
    assert changed == {scene.budget.id, scene.trk.issuance_account_id}


DECISION = {"status", "decided_by_id", "decided_at", "note", "transaction_id"}


def _last_transaction_id(scene: Scene, currency: str) -> int:
    feed = scene.get("/transactions", currency=currency, after_seq=0, limit=500)
    assert feed.status_code == 200, feed.text
    return int(feed.json()["items"][-1]["id"])


def test_an_approval_without_a_body_has_an_empty_note(scene: Scene) -> None:
    filed = scene.file_issuance()
    assert scene.post(f"/approvals/{filed['id']}/approve", None, scene.second).status_code == 201
    assert scene.request(filed["id"])["note"] == ""


def test_the_requester_cannot_approve_their_own_request(scene: Scene) -> None:
    filed = scene.file_issuance(4_000)
    before = scene.snapshot()

    refused = scene.approve(filed["id"], scene.admin)

    assert_problem(refused, 403, "own_request_not_approvable")
    assert scene.snapshot() == before
    assert scene.request(filed["id"]) == filed
    assert scene.events("approval.approved") == []
    # The other administrator still can.
    assert scene.approve(filed["id"], scene.second).status_code == 201


def test_a_request_is_approved_once(scene: Scene) -> None:
    filed = scene.file_issuance(3_000)
    first = scene.approve(filed["id"], scene.second)
    assert first.status_code == 201, first.text
    decided = scene.request(filed["id"])
    before = scene.snapshot()
    third = scene.ledger.user(Role.ADMIN)

    for actor in (scene.second, third, scene.admin):
        assert_problem(scene.approve(filed["id"], actor), 409, "approval_request_resolved")
    for actor in (scene.second, scene.admin):
        assert_problem(scene.reject(filed["id"], actor), 409, "approval_request_resolved")

    assert scene.snapshot() == before
    assert scene.request(filed["id"]) == decided
    assert len(scene.events("approval.approved")) == 1
    assert scene.events("approval.rejected") == []


@pytest.mark.parametrize("who", ["requester", "another admin"])
def test_a_rejected_request_is_never_posted(scene: Scene, who: str) -> None:
    filed = scene.file_issuance(2_000)
    before = scene.snapshot()
    rejecter = scene.admin if who == "requester" else scene.second

    rejected = scene.reject(filed["id"], rejecter, note="Wrong budget")

    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["status"] == "rejected"
    assert body["decided_by_id"] == rejecter.id
    assert body["note"] == "Wrong budget"
    assert body["transaction_id"] is None
    _aware(body["decided_at"])
    assert scene.request(filed["id"]) == body
    assert_problem(scene.approve(filed["id"], scene.second), 409, "approval_request_resolved")
    assert_problem(scene.reject(filed["id"], scene.second), 409, "approval_request_resolved")
    assert scene.snapshot() == before
    assert scene.request(filed["id"]) == body


def test_an_unknown_request_is_not_found(scene: Scene) -> None:
    for response in (
        scene.get("/approvals/999999"),
        scene.approve(999999),
        scene.reject(999999),
    ):
        body = assert_problem(response, 404, "approval_request_not_found")
        assert body.get("approval_request_id") == 999999, body
    assert_invalid(scene.get("/approvals/0"), "path.request_id")
    assert_invalid(scene.approve(0), "path.request_id")
    assert_invalid(scene.post("/approvals/1/approve", {"note": 5}, scene.second), "body.note")
    assert_invalid(scene.post("/approvals/1/reject", {"other": "x"}), "body.other")


def test_approval_judges_the_ledger_again(scene: Scene) -> None:
    """A budget frozen after the request was filed refuses the issuance at approval; the request
    stays pending, and posts once the account is unfrozen."""
    filed = scene.file_issuance(6_000)
    assert scene.post(f"/accounts/{scene.budget.id}/freeze").status_code == 200
    before = scene.snapshot()

    assert_problem(scene.approve(filed["id"]), 409, "account_frozen")

    assert scene.snapshot() == before
    assert scene.request(filed["id"]) == filed
    assert scene.post(f"/accounts/{scene.budget.id}/unfreeze").status_code == 200
    assert scene.approve(filed["id"]).status_code == 201


def test_an_entry_that_meanwhile_lacks_funds_is_refused_at_approval(scene: Scene) -> None:
    body = {
        "currency": "TRK",
        "kind": "adjustment",
        "postings": [
            {"account_id": scene.member.id, "amount": -(THRESHOLD + 500)},
            {"account_id": scene.shop.id, "amount": THRESHOLD + 500},
        ],
    }
    filed = scene.post("/transactions", body).json()
    assert filed["status"] == "pending"
    # The member spends most of it meanwhile.
    scene.ledger.transfer(scene.member.id, scene.shop.id, MEMBER_FUNDS - 100)
    before = scene.snapshot()

    assert_problem(scene.approve(filed["id"]), 409, "insufficient_funds")

    assert scene.snapshot() == before
    assert scene.request(filed["id"])["status"] == "pending"


# --- refused at once ----------------------------------------------------------------------------


def _reversal_of_reversal(scene: Scene) -> tuple[str, Any]:
    issued = scene.ledger.issue(scene.budget.id, 3_000)
    reversal = write_reversal(scene, issued.id)
    return f"/transactions/{reversal}/reverse", {"reason": "undo the undo"}


def _reversal_of_reversed(scene: Scene) -> tuple[str, Any]:
    issued = scene.ledger.issue(scene.budget.id, 3_000)
    write_reversal(scene, issued.id)
    return f"/transactions/{issued.id}/reverse", {"reason": "again"}


def write_reversal(scene: Scene, transaction_id: int) -> int:
    """Reverse through the services, by an administrator alone (no threshold there)."""
    reversed_ = write(
        scene.ledger.db,
        scene.admin.principal,
        lambda ctx: reversals.reverse(ctx, transaction_id, "setup"),
    )
    return reversed_.id


NEVER_POSTABLE: dict[str, tuple[Callable[[Scene], tuple[str, Any]], int, str]] = {
    "issuance into a member account": (
        lambda s: ("/issuances", {"to_account_id": s.member.id, "amount": 5_000}),
        409,
        "account_kind_not_allowed",
    ),
    "issuance into an unknown account": (
        lambda s: ("/issuances", {"to_account_id": 999_999, "amount": 5_000}),
        404,
        "account_not_found",
    ),
    "entry overdrawing a member": (
        lambda s: (
            "/transactions",
            {
                "currency": "TRK",
                "kind": "adjustment",
                "postings": [
                    {"account_id": s.member.id, "amount": -(MEMBER_FUNDS + 1)},
                    {"account_id": s.shop.id, "amount": MEMBER_FUNDS + 1},
                ],
            },
        ),
        409,
        "insufficient_funds",
    ),
    "entry into the redemption account": (
        lambda s: (
            "/transactions",
            {
                "currency": "TRK",
                "kind": "adjustment",
                "postings": [
                    {"account_id": s.budget.id, "amount": -5_000},
                    {"account_id": s.trk.redemption_account_id, "amount": 5_000},
                ],
            },
        ),
        409,
        "account_kind_not_allowed",
    ),
    "entry across currencies": (
        lambda s: (
            "/transactions",
            {
                "currency": "TRK",
                "kind": "adjustment",
                "postings": [
                    {"account_id": s.budget.id, "amount": -5_000},
                    {"account_id": s.cents_budget.id, "amount": 5_000},
                ],
            },
        ),
        409,
        "currency_mismatch",
    ),
    "reversal of a reversal": (_reversal_of_reversal, 409, "reversal_not_reversible"),
    "reversal of a reversed transaction": (_reversal_of_reversed, 409, "already_reversed"),
    "reversal of an unknown transaction": (
        lambda s: ("/transactions/999999/reverse", {"reason": "nothing"}),
        404,
        "transaction_not_found",
    ),
}


@pytest.mark.parametrize("case", list(NEVER_POSTABLE), ids=list(NEVER_POSTABLE))
def test_a_request_that_could_never_post_is_refused_at_once(scene: Scene, case: str) -> None:
    make, status, code = NEVER_POSTABLE[case]
    path, body = make(scene)
    before = scene.snapshot()

    response = scene.post(path, body)

    assert_problem(response, status, code)
    assert scene.requests() == []
    assert scene.events() == []
    assert scene.snapshot() == before


# --- reversals ----------------------------------------------------------------------------------


def test_a_reversal_above_the_threshold_is_filed_then_posted(scene: Scene) -> None:
    issued = scene.ledger.issue(scene.budget.id, 4_000)
    before = scene.snapshot()

    response = scene.post(f"/transactions/{issued.id}/reverse", {"reason": "  Double entry  "})

    assert response.status_code == 202, response.text
    filed = response.json()
    assert (filed["kind"], filed["currency"], filed["amount"]) == ("reversal", "TRK", 4_000)
    assert filed["payload"] == {"transaction_id": issued.id, "reason": "Double entry"}
    assert scene.snapshot() == before
    assert scene.transaction(issued.id)["reversed_by_id"] is None

    approved = scene.approve(filed["id"])

    assert approved.status_code == 201, approved.text
    reversal = approved.json()
    assert reversal["kind"] == "reversal"
    assert reversal["reverses_id"] == issued.id
    assert reversal["memo"] == "Double entry"
    assert _pairs(reversal["postings"]) == sorted(
        [(scene.trk.issuance_account_id, 4_000), (scene.budget.id, -4_000)]
    )
    assert scene.transaction(issued.id)["reversed_by_id"] == reversal["id"]
    assert scene.request(filed["id"])["transaction_id"] == reversal["id"]
    scene.snapshot()


def test_a_small_reversal_posts_at_once(scene: Scene) -> None:
    issued = scene.ledger.issue(scene.budget.id, THRESHOLD)
    response = scene.post(f"/transactions/{issued.id}/reverse", {"reason": "small"})
    assert response.status_code == 201, response.text
    assert response.json()["reverses_id"] == issued.id


def test_approving_a_reversal_of_a_meanwhile_reversed_transaction_fails_and_stays_pending(
    scene: Scene,
) -> None:
    """Two reversal requests of one transaction are both filed (neither has posted yet); once one
    is approved the other can never post: approving it fails with already_reversed, changes
    nothing and leaves it pending, to be rejected."""
    issued = scene.ledger.issue(scene.budget.id, 4_000)
    first = scene.post(f"/transactions/{issued.id}/reverse", {"reason": "one"})
    second = scene.post(f"/transactions/{issued.id}/reverse", {"reason": "two"}, scene.second)
    assert (first.status_code, second.status_code) == (202, 202), (first.text, second.text)
    assert scene.approve(first.json()["id"], scene.second).status_code == 201
    before = scene.snapshot()

    refused = scene.approve(second.json()["id"], scene.admin)

    assert_problem(refused, 409, "already_reversed")
    assert scene.snapshot() == before
    assert scene.request(second.json()["id"]) == second.json()
    # A further reversal request is now refused at once, and the stale one can be withdrawn.
    assert_problem(
        scene.post(f"/transactions/{issued.id}/reverse", {"reason": "three"}),
        409,
        "already_reversed",
    )
    assert scene.reject(second.json()["id"], scene.second).status_code == 200
    assert len(scene.requests()) == 2


# --- idempotency --------------------------------------------------------------------------------


def test_a_retried_filed_issuance_replays_the_202_and_files_once(scene: Scene) -> None:
    body = {"to_account_id": scene.budget.id, "amount": 9_000}
    first = scene.post("/issuances", body, key="four-eyes-1")
    assert first.status_code == 202, first.text
    before = scene.snapshot()

    again = scene.post("/issuances", body, key="four-eyes-1")

    assert again.status_code == 202, again.text
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert [item["id"] for item in scene.requests()] == [first.json()["id"]]
    assert len(scene.events("approval.requested")) == 1
    assert scene.snapshot() == before
    assert_problem(
        scene.post("/issuances", {**body, "amount": 9_001}, key="four-eyes-1"),
        409,
        "idempotency_key_reused",
    )
    # The replay still says pending after the approval: it is the first answer, replayed.
    assert scene.approve(first.json()["id"]).status_code == 201
    replayed = scene.post("/issuances", body, key="four-eyes-1")
    assert (replayed.status_code, replayed.json()["status"]) == (202, "pending")
    assert len(scene.requests()) == 1


def test_a_retried_approval_posts_once(scene: Scene) -> None:
    filed = scene.file_issuance(2_500)
    first = scene.post(f"/approvals/{filed['id']}/approve", {}, scene.second, key="ok-1")
    assert first.status_code == 201, first.text
    before = scene.snapshot()

    again = scene.post(f"/approvals/{filed['id']}/approve", {}, scene.second, key="ok-1")

    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert first.json()["idempotency_key"] == "ok-1"
    assert scene.snapshot() == before


# --- who may ------------------------------------------------------------------------------------


def test_auditors_read_requests_but_cannot_decide(scene: Scene) -> None:
    filed = scene.file_issuance(3_000)
    listed = scene.get("/approvals", scene.auditor)
    assert listed.status_code == 200, listed.text
    assert listed.json() == [filed]
    one = scene.get(f"/approvals/{filed['id']}", scene.auditor)
    assert (one.status_code, one.json()) == (200, filed)
    before = scene.snapshot()

    assert_problem(scene.approve(filed["id"], scene.auditor), 403, "role_not_allowed")
    assert_problem(scene.reject(filed["id"], scene.auditor), 403, "role_not_allowed")
    # Nor can an auditor file anything.
    assert_problem(
        scene.post(
            "/issuances", {"to_account_id": scene.budget.id, "amount": 5_000}, scene.auditor
        ),
        403,
        "role_not_allowed",
    )

    assert scene.snapshot() == before
    assert scene.request(filed["id"]) == filed


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SHOPKEEPER, Role.COORDINATOR])
def test_other_roles_neither_read_nor_decide(scene: Scene, role: Role) -> None:
    filed = scene.file_issuance(3_000)
    actor = scene.ledger.user(role)
    before = scene.snapshot()

    for response in (
        scene.get("/approvals", actor),
        scene.get("/approvals", actor, status="pending"),
        scene.get(f"/approvals/{filed['id']}", actor),
        scene.get("/approvals/999999", actor),
        scene.approve(filed["id"], actor),
        scene.reject(filed["id"], actor),
        scene.post("/issuances", {"to_account_id": scene.budget.id, "amount": 5_000}, actor),
    ):
        assert_problem(response, 403, "role_not_allowed")

    assert scene.snapshot() == before
    assert scene.request(filed["id"]) == filed


def test_anonymous_requests_are_unauthenticated(scene: Scene) -> None:
    filed = scene.file_issuance()
    for response in (
        scene.client.get(f"{API}/approvals"),
        scene.client.get(f"{API}/approvals/{filed['id']}"),
        scene.client.post(f"{API}/approvals/{filed['id']}/approve"),
        scene.client.post(f"{API}/approvals/{filed['id']}/reject"),
    ):
        assert_problem(response, 401, "not_authenticated")
    assert scene.request(filed["id"]) == filed


# --- the audit trail ----------------------------------------------------------------------------


def test_every_step_is_in_the_audit_trail(scene: Scene) -> None:
    approved = scene.file_issuance(1_500)
    rejected = scene.file_issuance(2_500)
    entry = scene.approve(approved["id"], scene.second, note="fine").json()
    scene.reject(rejected["id"], scene.admin, note="withdrawn")

    events = scene.events()

    assert [(e["action"], e["subject_id"]) for e in reversed(events)] == [
        ("approval.requested", str(approved["id"])),
        ("approval.requested", str(rejected["id"])),
        ("approval.approved", str(approved["id"])),
        ("approval.rejected", str(rejected["id"])),
    ]
    by_action = {(e["action"], e["subject_id"]): e for e in events}
    requested = by_action[("approval.requested", str(approved["id"]))]
    assert requested["actor_id"] == scene.admin.id
    assert requested["before"] is None
    assert requested["after"] == {
        "kind": "issuance",
        "amount": 1_500,
        "payload": approved["payload"],
    }
    approval = by_action[("approval.approved", str(approved["id"]))]
    assert approval["actor_id"] == scene.second.id
    assert approval["before"] == {"status": "pending"}
    assert approval["after"] == {
        "status": "approved",
        "note": "fine",
        "transaction_id": entry["id"],
    }
    rejection = by_action[("approval.rejected", str(rejected["id"]))]
    assert rejection["actor_id"] == scene.admin.id
    assert rejection["after"] == {"status": "rejected", "note": "withdrawn", "transaction_id": None}
    # Auditors read the same trail.
    as_auditor = scene.get("/audit/events", scene.auditor, subject_type="approval_request")
    assert as_auditor.status_code == 200
    assert len(as_auditor.json()["items"]) == 4
    scene.snapshot()


def test_refused_decisions_leave_no_event(scene: Scene) -> None:
    filed = scene.file_issuance()
    scene.approve(filed["id"], scene.admin)  # own: 403
    scene.approve(filed["id"], scene.auditor)  # auditor: 403
    scene.approve(999_999)  # unknown: 404
    assert [e["action"] for e in scene.events()] == ["approval.requested"]


def test_a_filed_cents_entry_posts_in_minor_units(scene: Scene) -> None:
    amount = scene.limit(2) + 1  # 1000.01
    filed = scene.issue(scene.cents_budget.id, amount)
    assert filed.status_code == 202, filed.text
    assert filed.json()["currency"] == "CNT"
    entry = scene.approve(filed.json()["id"]).json()
    assert entry["currency"] == "CNT"
    assert _pairs(entry["postings"]) == sorted(
        [(scene.cnt.issuance_account_id, -amount), (scene.cents_budget.id, amount)]
    )
    scene.snapshot()
