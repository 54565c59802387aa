"""Signed checkpoints of the chain heads: proof, kept outside the installation, that the journal up
to a point has not changed since.

A checkpoint names, per currency, the last sequence number and hash of the journal, with the
circulation figures at that point, and is signed with the installation's Ed25519 key. It is only
made of a ledger that ``verify`` finds intact. Checking it later needs only the ledger: the
signature must be the installation's, and recomputing each currency's hash chain from its first
transaction up to the checkpoint's sequence number, from the content alone, must arrive at the
checkpoint's hash. Because every hash covers its predecessor, that holds only if nothing at or
before that point was changed, removed or inserted.

The key is ``TOREKES_CHECKPOINT_KEY`` (a base64 Ed25519 seed of 32 bytes) or, without it, derived
from ``TOREKES_SECRET_KEY`` with HKDF; an installation that may rotate its secret key sets its own,
so that older checkpoints keep checking. The public key is published at
``GET /audit/checkpoint-key`` for auditors to pin.

Checkpoints themselves are handed out, not kept; ``sign`` records each one in the audit trail
(``checkpoint.signed``: when, with which key, and each currency's head), so the installation
knows when it last gave one out. Administrators and auditors may sign: a checkpoint changes
nothing in the ledger, and its record only says who asked for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from torekes.audit import queries, verification
from torekes.db.engine import Database
from torekes.domain import access, errors
from torekes.domain.access import Principal
from torekes.domain.hashing import GENESIS_HASH
from torekes.kit import audit_trail, clock
from torekes.kit.unit_of_work import WriteContext, write
from torekes.settings import Settings

T = TypeVar("T")

FORMAT = "torekes-checkpoint/1"
_HKDF_INFO = b"torekes checkpoint signing key v1"


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    checkpoint: dict[str, Any]
    signature: str
    public_key: str
    key_id: str


@dataclass(frozen=True, slots=True)
class HeadCheck:
    currency: str
    seq: int
    hash: str
    recomputed_hash: str | None
    matches: bool
    detail: str


@dataclass(frozen=True, slots=True)
class CheckpointCheck:
    ok: bool
    signature_valid: bool
    key_id: str
    created_at: str | None
    currencies: list[HeadCheck]


@dataclass(frozen=True, slots=True)
class CheckpointKey:
    public_key: str
    key_id: str


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.checkpoint_key:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(settings.checkpoint_key))
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        settings.secret_key.encode()
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_of(settings: Settings, actor: Principal) -> CheckpointKey:
    access.require_reader_of_everything(actor)
    public = _public_bytes(signing_key(settings).public_key())
    return CheckpointKey(base64.b64encode(public).decode(), _key_id(public))


def make(report: verification.VerifyReport, settings: Settings) -> SignedCheckpoint:
    """Sign the chain heads that ``report`` walked and found intact, with its figures: all of
    them read in the audit's one snapshot of the database."""
    if not report.ok:
        raise errors.LedgerNotIntact()
    payload = {
        "format": FORMAT,
        "installation": settings.public_base_url,
        "created_at": clock.now().isoformat(),
        "currencies": [
            {
                "currency": c.currency,
                "seq": c.last_seq,
                "hash": c.last_hash,
                "issued": c.issued,
                "in_circulation": c.in_circulation,
                "redeemed": c.redeemed,
            }
            for c in sorted(report.currencies, key=lambda c: c.currency)
        ],
    }
    key = signing_key(settings)
    public = _public_bytes(key.public_key())
    return SignedCheckpoint(
        checkpoint=payload,
        signature=base64.b64encode(key.sign(_canonical(payload))).decode(),
        public_key=base64.b64encode(public).decode(),
        key_id=_key_id(public),
    )


@overload
def sign(
    db: Database, settings: Settings, actor: Principal, report: verification.VerifyReport
) -> SignedCheckpoint: ...


@overload
def sign(
    db: Database,
    settings: Settings,
    actor: Principal,
    report: verification.VerifyReport,
    commit: Callable[[Callable[[WriteContext], SignedCheckpoint]], T],
) -> T: ...


def sign(
    db: Database,
    settings: Settings,
    actor: Principal,
    report: verification.VerifyReport,
    commit: Callable[[Callable[[WriteContext], SignedCheckpoint]], Any] | None = None,
) -> Any:
    """Sign the chain heads ``report`` found intact (``make``) and record the signing in the
    audit trail; every way of signing a checkpoint (API, command line, pages) goes through here.
    ``commit`` runs the record's write and answers for it (the pages pass one that runs once per
    form, answering the first checkpoint to a repeat); without it, the new checkpoint."""
    access.require_reader_of_everything(actor)
    signed = make(report, settings)

    def record(ctx: WriteContext) -> SignedCheckpoint:
        _record(ctx, signed)
        return signed

    if commit is None:
        return write(db, actor, record)
    return commit(record)


def _record(ctx: WriteContext, signed: SignedCheckpoint) -> None:
    heads = [
        {"currency": entry["currency"], "seq": entry["seq"], "hash": entry["hash"]}
        for entry in signed.checkpoint["currencies"]
    ]
    after = {
        "created_at": signed.checkpoint["created_at"],
        "key_id": signed.key_id,
        "signature": signed.signature,
        "currencies": heads,
    }
    audit_trail.record(ctx, "checkpoint.signed", "checkpoint", signed.key_id, None, after)


def check(
    db: Database, settings: Settings, actor: Principal | None, signed: dict[str, Any]
) -> CheckpointCheck:
    """Check a signed checkpoint against this installation's key and its ledger."""
    if actor is not None:
        access.require_reader_of_everything(actor)
    payload, signature = _parts(signed)
    key = signing_key(settings).public_key()
    try:
        key.verify(signature, _canonical(payload))
        signature_valid = True
    except InvalidSignature:
        signature_valid = False
    heads = [_head_check(db, entry) for entry in _entries(payload)]
    return CheckpointCheck(
        ok=signature_valid and all(head.matches for head in heads),
        signature_valid=signature_valid,
        key_id=_key_id(_public_bytes(key)),
        created_at=str(payload.get("created_at")) if payload.get("created_at") else None,
        currencies=heads,
    )


def recompute_head(db: Database, currency_code: str, up_to_seq: int) -> tuple[str | None, str]:
    """The chain's hash after ``up_to_seq``, recomputed from content alone, or None and why."""
    with db.read_session() as session:
        currency = queries.currency_named(session, currency_code)
        if currency is None:
            return None, f"no currency {currency_code}"
        head, expected = GENESIS_HASH, 1
        for row, postings in queries.journal(session, currency.id, up_to_seq):
            if row[1] != expected:
                return None, f"sequence {expected} is missing"
            pairs = [(account, amount) for _, account, amount, _, _ in postings]
            head = queries.entry_hash(currency.code, row, pairs, head)
            expected += 1
        if expected - 1 != up_to_seq:
            return None, f"the journal ends at {expected - 1}, before {up_to_seq}"
        return head, "recomputed"


def _head_check(db: Database, entry: dict[str, Any]) -> HeadCheck:
    code, seq, claimed = entry["currency"], entry["seq"], entry["hash"]
    recomputed, detail = recompute_head(db, code, seq)
    matches = recomputed == claimed
    if recomputed is not None:
        detail = "the journal up to here is unchanged" if matches else "the journal has changed"
    return HeadCheck(code, seq, claimed, recomputed, matches, detail)


def _parts(signed: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    payload = signed.get("checkpoint")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise errors.InvalidCheckpoint(f"Not a {FORMAT} checkpoint")
    try:
        signature = base64.b64decode(str(signed.get("signature", "")), validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidCheckpoint("The signature is not base64") from None
    _entries(payload)
    try:
        _canonical(payload)
    except UnicodeEncodeError:
        raise errors.InvalidCheckpoint("The checkpoint holds text no encoding can hold") from None
    return payload, signature


def _entries(payload: dict[str, Any]) -> list[dict[str, Any]]:
    entries = payload.get("currencies")
    if not isinstance(entries, list) or not all(_is_head(entry) for entry in entries):
        raise errors.InvalidCheckpoint("Each currency needs a currency code, seq and hash")
    return entries


def _is_head(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("currency"), str)
        and isinstance(entry.get("seq"), int)
        and not isinstance(entry.get("seq"), bool)
        and 0 <= entry["seq"] <= 2**62
        and isinstance(entry.get("hash"), str)
    )


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]
