"""Signed checkpoints through the API: ``GET /audit/verify?checkpoint=true`` signs the chain heads
of an intact ledger with the installation's Ed25519 key (published at ``/audit/checkpoint-key``),
and ``POST /audit/checkpoints/check`` proves later that the journal up to each head is unchanged.
The signature is checked here independently with ``cryptography``; tampered checkpoints, tampered
journals, other installations' keys and malformed bodies are each told apart; only admins and
auditors may use any of it."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi.testclient import TestClient

from tests.api.helpers import API, assert_invalid, assert_problem
from tests.apps import app_for
from tests.integration.test_tamper import tamper
from tests.support import Actor, Ledger
from torekes.app import create_app
from torekes.audit import checkpoints, verification
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.ledger.read_models import AccountView
from torekes.settings import Settings

OTHER_SECRET = "another-installation-secret-key-0123456789-abcdef"
SEED = base64.b64encode(bytes(range(32))).decode()
HEAD_FIELDS = {"currency", "seq", "hash", "issued", "in_circulation", "redeemed"}


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def raw_public(key: Ed25519PrivateKey) -> str:
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(public).decode()


def signed_with(key: Ed25519PrivateKey, payload: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint of ``payload`` signed with ``key``, as verify would return it."""
    public = raw_public(key)
    return {
        "checkpoint": payload,
        "signature": base64.b64encode(key.sign(canonical(payload))).decode(),
        "public_key": public,
        "key_id": hashlib.sha256(base64.b64decode(public)).hexdigest()[:16],
    }


@dataclass
class Book:
    """TRK and CNT, each with a funded budget and a few movements, an admin and an auditor."""

    client: TestClient
    ledger: Ledger
    settings: Settings
    admin: Actor
    auditor: Actor
    budget: AccountView
    member: AccountView
    cents_budget: AccountView

    def get(self, path: str, actor: Actor | None = None, **params: Any) -> Any:
        return self.client.get(f"{API}{path}", headers=(actor or self.admin).headers, params=params)

    def ok(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def verify(self, actor: Actor | None = None) -> dict[str, Any]:
        response = self.get("/audit/verify", actor, checkpoint="true")
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        return report

    def signed(self) -> dict[str, Any]:
        report = self.verify()
        assert report["ok"] is True, report
        signed: dict[str, Any] = report["checkpoint"]
        assert signed is not None
        return signed

    def check(
        self, body: Any, actor: Actor | None = None, client: TestClient | None = None
    ) -> dict[str, Any]:
        response = self.send_check(body, actor, client)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def send_check(
        self, body: Any, actor: Actor | None = None, client: TestClient | None = None
    ) -> Any:
        return (client or self.client).post(
            f"{API}/audit/checkpoints/check", json=body, headers=(actor or self.admin).headers
        )

    def heads(self, result: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {head["currency"]: head for head in result["currencies"]}

    def more(self) -> None:
        """Post a few more transactions in both currencies."""
        self.ledger.issue(self.budget.id, 300)
        self.ledger.transfer(self.budget.id, self.member.id, 40)
        self.ledger.issue(self.cents_budget.id, 12_345)

    def tx_id(self, currency: str, seq: int) -> int:
        feed = self.ok("/transactions", currency=currency, after_seq=seq - 1, limit=1)
        [item] = feed["items"]
        assert item["seq"] == seq
        return int(item["id"])


@pytest.fixture
def book(client: TestClient, ledger: Ledger, settings: Settings) -> Book:
    ledger.currency("TRK")
    ledger.currency("CNT", decimals=2)
    budget = ledger.budget(5_000)
    member = ledger.account(AccountKind.MEMBER, ledger.user(Role.MEMBER))
    ledger.transfer(budget.id, member.id, 700)
    ledger.transfer(budget.id, member.id, 300)
    cents_budget = ledger.budget(250_000, currency="CNT")
    return Book(
        client=client,
        ledger=ledger,
        settings=settings,
        admin=ledger.admin,
        auditor=ledger.user(Role.AUDITOR),
        budget=budget,
        member=member,
        cents_budget=cents_budget,
    )


@pytest.fixture
def other_installation(database_url: str, book: Book) -> Iterator[tuple[TestClient, Actor]]:
    """The same database served with another secret key (and so another derived signing key),
    with an auditor whose token that installation knows."""
    other = Settings(database_url=database_url, secret_key=OTHER_SECRET)
    auditor = Ledger(book.ledger.db, other).user(Role.AUDITOR)
    with TestClient(create_app(other)) as client:
        yield client, auditor


# --- signing ------------------------------------------------------------------------------------


def test_verify_signs_the_chain_heads_with_the_published_key(book: Book) -> None:
    report = book.verify()

    assert report["ok"] is True
    signed = report["checkpoint"]
    assert set(signed) == {"checkpoint", "signature", "public_key", "key_id"}
    payload = signed["checkpoint"]
    assert payload["format"] == "torekes-checkpoint/1"
    assert payload["installation"] == book.settings.public_base_url
    assert datetime.fromisoformat(payload["created_at"]).tzinfo is not None
    currencies = {item["code"]: item for item in book.ok("/currencies")}
    assert [head["currency"] for head in payload["currencies"]] == ["CNT", "TRK"]
    figures = {item["currency"]: item for item in report["currencies"]}
    for head in payload["currencies"]:
        code = head["currency"]
        assert set(head) == HEAD_FIELDS
        assert head["seq"] == currencies[code]["last_seq"] == figures[code]["transactions"]
        last = book.ok(f"/transactions/{book.tx_id(code, head['seq'])}")
        assert head["hash"] == last["hash"]
        for figure in ("issued", "in_circulation", "redeemed"):
            assert head[figure] == figures[code][figure], (code, figure)
    assert {h["currency"]: h["seq"] for h in payload["currencies"]} == {"CNT": 1, "TRK": 3}

    # The published key is the one that signed, and the signature is Ed25519 over the canonical
    # JSON of the payload.
    key = book.ok("/audit/checkpoint-key")
    assert key == {"public_key": signed["public_key"], "key_id": signed["key_id"]}
    public_bytes = base64.b64decode(key["public_key"])
    assert len(public_bytes) == 32
    assert key["key_id"] == hashlib.sha256(public_bytes).hexdigest()[:16]
    public = Ed25519PublicKey.from_public_bytes(public_bytes)
    signature = base64.b64decode(signed["signature"])
    public.verify(signature, canonical(payload))
    altered = copy.deepcopy(payload)
    altered["currencies"][1]["issued"] += 1
    with pytest.raises(InvalidSignature):
        public.verify(signature, canonical(altered))


def test_the_signed_figures_are_those_at_the_signed_head(book: Book) -> None:
    book.more()
    payload = book.signed()["checkpoint"]
    for head in payload["currencies"]:
        trial = book.ok("/audit/trial-balance", currency=head["currency"], as_of=head["seq"])
        assert trial["as_of_seq"] == head["seq"]
        for figure in ("issued", "in_circulation", "redeemed"):
            assert head[figure] == trial[figure], (head["currency"], figure)


def test_the_key_is_stable_and_derived_from_the_secret(book: Book) -> None:
    first, second = book.signed(), book.signed()
    assert first["public_key"] == second["public_key"]
    assert first["key_id"] == second["key_id"]
    derived = checkpoints.signing_key(book.settings)
    assert raw_public(derived) == first["public_key"]


@pytest.mark.parametrize("flag", [None, "false", "0"])
def test_without_the_flag_verify_signs_nothing(book: Book, flag: str | None) -> None:
    params = {} if flag is None else {"checkpoint": flag}
    report = book.ok("/audit/verify", **params)
    assert report["ok"] is True
    assert report["checkpoint"] is None


def test_an_invalid_flag_is_refused(book: Book) -> None:
    assert_invalid(book.get("/audit/verify", checkpoint="maybe"), "query.checkpoint")


def test_a_ledger_without_currencies_signs_an_empty_checkpoint(
    client: TestClient, ledger: Ledger
) -> None:
    headers = ledger.admin.headers
    report = client.get(f"{API}/audit/verify", params={"checkpoint": "true"}, headers=headers)
    assert report.status_code == 200, report.text
    signed = report.json()["checkpoint"]
    assert signed["checkpoint"]["currencies"] == []
    result = client.post(f"{API}/audit/checkpoints/check", json=signed, headers=headers)
    assert result.status_code == 200, result.text
    assert result.json()["ok"] is True


def test_a_currency_without_transactions_is_signed_at_seq_zero(book: Book) -> None:
    book.ledger.currency("NEW")
    signed = book.signed()
    [new] = [h for h in signed["checkpoint"]["currencies"] if h["currency"] == "NEW"]
    assert (new["seq"], new["issued"], new["in_circulation"], new["redeemed"]) == (0, 0, 0, 0)
    result = book.check(signed)
    assert result["ok"] is True
    assert book.heads(result)["NEW"]["matches"] is True


# --- checking -----------------------------------------------------------------------------------


def test_a_fresh_checkpoint_holds(book: Book) -> None:
    signed = book.signed()

    result = book.check(signed)

    assert result["ok"] is True
    assert result["signature_valid"] is True
    assert result["key_id"] == signed["key_id"]
    assert result["created_at"] == signed["checkpoint"]["created_at"]
    assert [head["currency"] for head in result["currencies"]] == ["CNT", "TRK"]
    for head, signed_head in zip(
        result["currencies"], signed["checkpoint"]["currencies"], strict=True
    ):
        assert head == {
            "currency": signed_head["currency"],
            "seq": signed_head["seq"],
            "hash": signed_head["hash"],
            "recomputed_hash": signed_head["hash"],
            "matches": True,
            "detail": "the journal up to here is unchanged",
        }
    # The claimed public key and key id are optional: the installation's own key decides.
    bare = {"checkpoint": signed["checkpoint"], "signature": signed["signature"]}
    assert book.check(bare)["ok"] is True


def test_checking_changes_nothing(book: Book) -> None:
    signed = book.signed()
    before = book.ok("/currencies")
    events = book.ok("/audit/events")
    book.check(signed)
    assert book.ok("/currencies") == before
    assert book.ok("/audit/events") == events


def test_an_old_checkpoint_still_holds_after_more_postings(book: Book) -> None:
    old = book.signed()
    book.more()
    book.more()

    result = book.check(old)

    assert result["ok"] is True, result
    heads = book.heads(result)
    assert (heads["TRK"]["seq"], heads["CNT"]["seq"]) == (3, 1)
    new = book.signed()
    assert {h["currency"]: h["seq"] for h in new["checkpoint"]["currencies"]} == {
        "CNT": 3,
        "TRK": 7,
    }
    assert book.check(new)["ok"] is True


Tampering = Callable[[dict[str, Any], Ed25519PrivateKey], dict[str, Any]]


def _resign(change: Callable[[dict[str, Any]], None]) -> Tampering:
    """Change the payload and sign it again with the installation's own key: only the heads can
    then give the change away."""

    def tampered(signed: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
        payload = copy.deepcopy(signed["checkpoint"])
        change(payload)
        return signed_with(key, payload)

    return tampered


def _keep_signature(change: Callable[[dict[str, Any]], None]) -> Tampering:
    def tampered(signed: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
        altered = copy.deepcopy(signed)
        change(altered["checkpoint"])
        return altered

    return tampered


def _trk(payload: dict[str, Any]) -> dict[str, Any]:
    heads: list[dict[str, Any]] = payload["currencies"]
    [head] = [h for h in heads if h["currency"] == "TRK"]
    return head


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        _trk(payload)[field] = value

    return change


def _shift(field: str, by: int) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        _trk(payload)[field] += by

    return change


def _other_key(signed: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return signed_with(Ed25519PrivateKey.generate(), signed["checkpoint"])


def _other_key_unclaimed(signed: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    forged = signed_with(Ed25519PrivateKey.generate(), signed["checkpoint"])
    return {**signed, "signature": forged["signature"]}


def _created_at(payload: dict[str, Any]) -> None:
    payload["created_at"] = "2020-01-01T00:00:00+00:00"


# (tampering, signature_valid, TRK matches, TRK detail)
TAMPERINGS: dict[str, tuple[Tampering, bool, bool, str]] = {
    "hash changed": (
        _keep_signature(_set("hash", "f" * 64)),
        False,
        False,
        "the journal has changed",
    ),
    "hash changed and re-signed": (
        _resign(_set("hash", "f" * 64)),
        True,
        False,
        "the journal has changed",
    ),
    "seq changed": (_keep_signature(_shift("seq", -1)), False, False, "the journal has changed"),
    "seq changed and re-signed": (
        _resign(_shift("seq", -1)),
        True,
        False,
        "the journal has changed",
    ),
    "seq beyond the journal, re-signed": (
        _resign(_shift("seq", 10)),
        True,
        False,
        "the journal ends at 3, before 13",
    ),
    "issued figure changed": (
        _keep_signature(_shift("issued", 1)),
        False,
        True,
        "the journal up to here is unchanged",
    ),
    "redeemed figure changed": (
        _keep_signature(_shift("redeemed", 5)),
        False,
        True,
        "the journal up to here is unchanged",
    ),
    "created_at changed": (
        _keep_signature(_created_at),
        False,
        True,
        "the journal up to here is unchanged",
    ),
    "signed by another key, which it claims": (
        _other_key,
        False,
        True,
        "the journal up to here is unchanged",
    ),
    "signed by another key": (
        _other_key_unclaimed,
        False,
        True,
        "the journal up to here is unchanged",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERINGS), ids=list(TAMPERINGS))
def test_a_tampered_checkpoint_is_found_out(book: Book, case: str) -> None:
    tampering, signature_valid, matches, detail = TAMPERINGS[case]
    signed = book.signed()
    forged = tampering(signed, checkpoints.signing_key(book.settings))

    result = book.check(forged)

    assert result["ok"] is False
    assert result["signature_valid"] is signature_valid
    heads = book.heads(result)
    assert heads["TRK"]["matches"] is matches
    assert heads["TRK"]["detail"] == detail
    assert heads["CNT"]["matches"] is True
    if not matches:
        assert heads["TRK"]["recomputed_hash"] != heads["TRK"]["hash"]


def test_a_head_of_an_unknown_currency_does_not_match(book: Book) -> None:
    signed = book.signed()
    payload = copy.deepcopy(signed["checkpoint"])
    payload["currencies"].append({"currency": "XYZ", "seq": 1, "hash": "a" * 64})

    result = book.check(signed_with(checkpoints.signing_key(book.settings), payload))

    assert (result["ok"], result["signature_valid"]) == (False, True)
    assert book.heads(result)["XYZ"] == {
        "currency": "XYZ",
        "seq": 1,
        "hash": "a" * 64,
        "recomputed_hash": None,
        "matches": False,
        "detail": "no currency XYZ",
    }


def test_a_short_signature_is_simply_not_valid(book: Book) -> None:
    signed = book.signed()
    for signature in ("", base64.b64encode(b"abc").decode(), base64.b64encode(b"\0" * 64).decode()):
        result = book.check({**signed, "signature": signature})
        assert (result["ok"], result["signature_valid"]) == (False, False), signature


# --- malformed bodies ---------------------------------------------------------------------------


def _body(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], Any]:
    def make(signed: dict[str, Any]) -> Any:
        body = copy.deepcopy(signed)
        change(body)
        return body

    return make


def _drop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target: Any = body
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


def _put(value: Any, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        target: Any = body
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


INVALID_CHECKPOINTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "another format": _body(_put("torekes-checkpoint/2", "checkpoint", "format")),
    "no format": _body(_drop("checkpoint", "format")),
    "signature not base64": _body(_put("not base64!", "signature")),
    "no currencies": _body(_drop("checkpoint", "currencies")),
    "currencies not a list": _body(_put({"TRK": 1}, "checkpoint", "currencies")),
    "a head not an object": _body(_put(["TRK", 1, "x"], "checkpoint", "currencies", 0)),
    "a head without hash": _body(_drop("checkpoint", "currencies", 0, "hash")),
    "a head without currency": _body(_drop("checkpoint", "currencies", 0, "currency")),
    "seq a string": _body(_put("3", "checkpoint", "currencies", 0, "seq")),
    "seq a float": _body(_put(3.0, "checkpoint", "currencies", 0, "seq")),
    "seq a boolean": _body(_put(True, "checkpoint", "currencies", 0, "seq")),
    "seq negative": _body(_put(-1, "checkpoint", "currencies", 0, "seq")),
    "seq too large": _body(_put(2**62 + 1, "checkpoint", "currencies", 0, "seq")),
    "hash a number": _body(_put(7, "checkpoint", "currencies", 0, "hash")),
}


@pytest.mark.parametrize("case", list(INVALID_CHECKPOINTS), ids=list(INVALID_CHECKPOINTS))
def test_a_malformed_checkpoint_is_refused(book: Book, case: str) -> None:
    body = INVALID_CHECKPOINTS[case](book.signed())
    assert_problem(book.send_check(body), 422, "invalid_checkpoint")


INVALID_BODIES: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "empty": (lambda signed: {}, "body.checkpoint"),
    "no signature": (_body(_drop("signature")), "body.signature"),
    "checkpoint not an object": (_body(_put("x", "checkpoint")), "body.checkpoint"),
    "signature not a string": (_body(_put(5, "signature")), "body.signature"),
    "signature too long": (_body(_put("A" * 204, "signature")), "body.signature"),
    "key id too long": (_body(_put("k" * 65, "key_id")), "body.key_id"),
    "an unknown member": (_body(_put(1, "comment")), "body.comment"),
    "a list": (lambda signed: [signed], "body"),
}


@pytest.mark.parametrize("case", list(INVALID_BODIES), ids=list(INVALID_BODIES))
def test_an_invalid_body_is_a_validation_error(book: Book, case: str) -> None:
    make, field = INVALID_BODIES[case]
    assert_invalid(book.send_check(make(book.signed())), field)


def test_a_body_that_is_not_json_is_refused(book: Book) -> None:
    response = book.client.post(
        f"{API}/audit/checkpoints/check",
        content=b"{not json",
        headers={**book.admin.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 422, "validation_error")


def test_a_checkpoint_with_unencodable_text_is_refused_not_a_server_error(
    book: Book, settings: Settings
) -> None:
    """JSON may escape a lone surrogate (\\ud800), which no UTF-8 text can hold: the check must
    refuse it as input (422) or find it unsigned (200, ok false), not fail encoding the canonical
    form (500)."""
    raw = json.dumps(book.signed()).replace('"format"', '"\\ud800": 1, "format"', 1)
    with TestClient(app_for(settings), raise_server_exceptions=False) as client:
        response = client.post(
            f"{API}/audit/checkpoints/check",
            content=raw.encode(),
            headers={**book.admin.headers, "Content-Type": "application/json"},
        )
    assert response.status_code != 500, response.text
    if response.status_code == 200:
        assert response.json()["ok"] is False
        assert response.json()["signature_valid"] is False
    else:
        assert_problem(response, 422, "invalid_checkpoint", "validation_error")


# --- a tampered journal -------------------------------------------------------------------------


def test_a_tampered_journal_breaks_the_checkpoint_and_verify_signs_nothing(book: Book) -> None:
    signed = book.signed()
    target = book.tx_id("TRK", 2)
    tamper(
        book.ledger.db,
        "transactions",
        "UPDATE transactions SET memo = 'rewritten' WHERE id = :id",
        {"id": target},
    )

    result = book.check(signed)

    assert result["ok"] is False
    assert result["signature_valid"] is True
    heads = book.heads(result)
    assert heads["TRK"]["matches"] is False
    assert heads["TRK"]["detail"] == "the journal has changed"
    assert heads["TRK"]["recomputed_hash"] is not None
    assert heads["TRK"]["recomputed_hash"] != heads["TRK"]["hash"]
    assert heads["CNT"]["matches"] is True

    report = book.verify()
    assert report["ok"] is False
    assert report["checkpoint"] is None
    assert any(p["check"] == "hash" and p["transaction_id"] == target for p in report["problems"])


def test_an_altered_posting_breaks_the_checkpoint(book: Book) -> None:
    signed = book.signed()
    target = book.tx_id("CNT", 1)
    tamper(
        book.ledger.db,
        "postings",
        "UPDATE postings SET amount = amount + 1 WHERE transaction_id = :id AND amount > 0",
        {"id": target},
    )

    heads = book.heads(book.check(signed))

    assert (heads["CNT"]["matches"], heads["TRK"]["matches"]) == (False, True)


def test_tampering_after_the_checkpoint_leaves_it_holding(book: Book) -> None:
    """A checkpoint vouches for the journal up to its heads only; a later change breaks verify,
    not the older checkpoint."""
    signed = book.signed()
    book.more()
    tamper(
        book.ledger.db,
        "transactions",
        "UPDATE transactions SET memo = 'rewritten' WHERE id = :id",
        {"id": book.tx_id("TRK", 4)},
    )

    assert book.check(signed)["ok"] is True
    report = book.verify()
    assert (report["ok"], report["checkpoint"]) == (False, None)


def test_the_checkpoint_signs_only_what_verify_verified(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction posted while verify runs (here: right after the audit's read, before the
    checkpoint is made) must not end up under the signature with the audit's older figures: the
    signed head is the verified one, and its figures are those at that head."""
    real_verify = verification.verify

    def verify_then_someone_posts(*args: Any, **kwargs: Any) -> verification.VerifyReport:
        report = real_verify(*args, **kwargs)
        book.ledger.issue(book.budget.id, 77)
        return report

    monkeypatch.setattr(verification, "verify", verify_then_someone_posts)
    report = book.verify()
    monkeypatch.undo()

    assert report["ok"] is True
    trk = _trk(report["checkpoint"]["checkpoint"])
    [verified] = [c for c in report["currencies"] if c["currency"] == "TRK"]
    trial = book.ok("/audit/trial-balance", currency="TRK", as_of=trk["seq"])
    # The figures signed are those at the head signed ...
    assert (trk["seq"], trk["issued"]) == (trial["as_of_seq"], trial["issued"])
    # ... and that head is one the audit walked.
    assert trk["seq"] == verified["transactions"]


# --- keys and installations ---------------------------------------------------------------------


def test_another_installations_key_does_not_vouch(
    book: Book, other_installation: tuple[TestClient, Actor]
) -> None:
    client, auditor = other_installation
    signed = book.signed()
    theirs = client.get(f"{API}/audit/checkpoint-key", headers=auditor.headers)
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["public_key"] != signed["public_key"]

    result = book.check(signed, auditor, client)

    assert result["ok"] is False
    assert result["signature_valid"] is False
    assert result["key_id"] == theirs.json()["key_id"]
    assert all(head["matches"] for head in result["currencies"])
    # And what that installation signs does not check here.
    report = client.get(
        f"{API}/audit/verify", params={"checkpoint": "true"}, headers=auditor.headers
    )
    assert report.status_code == 200, report.text
    assert book.check(report.json()["checkpoint"])["signature_valid"] is False


def test_an_explicit_checkpoint_key_signs_and_survives_a_new_secret(
    book: Book, database_url: str
) -> None:
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(SEED))
    explicit = Settings(
        database_url=database_url, secret_key=book.settings.secret_key, checkpoint_key=SEED
    )
    rotated = Settings(database_url=database_url, secret_key=OTHER_SECRET, checkpoint_key=SEED)
    rotated_admin = Ledger(book.ledger.db, rotated).user(Role.ADMIN)

    with TestClient(create_app(explicit)) as client:
        published = client.get(f"{API}/audit/checkpoint-key", headers=book.admin.headers).json()
        report = client.get(
            f"{API}/audit/verify", params={"checkpoint": "true"}, headers=book.admin.headers
        ).json()
    assert published["public_key"] == raw_public(key)
    assert published["public_key"] != book.ok("/audit/checkpoint-key")["public_key"]
    signed = report["checkpoint"]
    assert signed["public_key"] == raw_public(key)
    key.public_key().verify(base64.b64decode(signed["signature"]), canonical(signed["checkpoint"]))

    with TestClient(create_app(rotated)) as client:
        assert book.check(signed, rotated_admin, client)["ok"] is True
    # The installation without the explicit key (the secret's derived key) does not vouch for it.
    assert book.check(signed)["signature_valid"] is False


@pytest.mark.parametrize(
    "seed",
    [
        "not base64!",
        base64.b64encode(b"x" * 31).decode(),
        base64.b64encode(b"x" * 33).decode(),
    ],
    ids=["not base64", "31 bytes", "33 bytes"],
)
def test_a_malformed_checkpoint_key_is_refused_at_start(database_url: str, seed: str) -> None:
    with pytest.raises(ValueError, match="checkpoint_key"):
        Settings(database_url=database_url, checkpoint_key=seed)


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_admins_and_auditors_may_use_all_three(book: Book, role: Role) -> None:
    actor = book.admin if role is Role.ADMIN else book.auditor
    report = book.verify(actor)
    assert report["checkpoint"] is not None
    key = book.get("/audit/checkpoint-key", actor)
    assert key.status_code == 200, key.text
    assert book.check(report["checkpoint"], actor)["ok"] is True


@pytest.mark.parametrize("role", [Role.MEMBER, Role.SHOPKEEPER, Role.COORDINATOR])
def test_other_roles_may_use_none(book: Book, role: Role) -> None:
    actor = book.ledger.user(role)
    signed = book.signed()
    for response in (
        book.get("/audit/verify", actor, checkpoint="true"),
        book.get("/audit/verify", actor),
        book.get("/audit/checkpoint-key", actor),
        book.send_check(signed, actor),
    ):
        assert_problem(response, 403, "role_not_allowed")


def test_anonymous_callers_are_unauthenticated(book: Book) -> None:
    signed = book.signed()
    for response in (
        book.client.get(f"{API}/audit/verify", params={"checkpoint": "true"}),
        book.client.get(f"{API}/audit/checkpoint-key"),
        book.client.post(f"{API}/audit/checkpoints/check", json=signed),
    ):
        assert_problem(response, 401, "not_authenticated")
