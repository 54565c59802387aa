"""The hash chain: a SHA-256 digest over a transaction's content and its predecessor's digest.

The content is serialised canonically, as ``json.dumps(document, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` of ``{"actor", "created_at", "currency",
"idempotency_key", "kind", "memo", "metadata", "postings", "prev", "reverses", "seq"}`` would
write it, with ``created_at`` as UTC ISO 8601 to the microsecond and ``postings`` as sorted
``[account, amount]`` pairs, so that the digest computed at posting time and the one recomputed by
an audit agree exactly on any database. ``canonical_text`` writes that text field by field in the
keys' order instead of building the document, which makes hashing a long journal several times
cheaper. The first transaction of a currency chains to ``GENESIS_HASH``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

from torekes.domain.entries import Posting

GENESIS_HASH = "0" * 64
_NO_OFFSET = timedelta(0)

# "YYYY-MM-DD HH:MM:SS.ffffff" with every field in range, days only up to the 28th.
_STORED_SHAPE = re.compile(
    r"[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r" (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}"
)

# What json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False) does, built once.
_canonical_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


@dataclass(frozen=True, slots=True)
class ChainedContent:
    currency_code: str
    seq: int
    kind: str
    memo: str
    metadata: Mapping[str, Any]
    actor_id: int | None
    created_at: datetime
    idempotency_key: str | None
    reverses_id: int | None
    postings: Sequence[Posting]


def normalise_timestamp(moment: datetime) -> str:
    """UTC ISO 8601 with microseconds; naive values (SQLite hands them back) are taken as UTC."""
    # At an offset of zero (PostgreSQL's driver hands moments over in the session's zone, UTC
    # under some name) the wall clock already is UTC's.
    if moment.tzinfo is not None and moment.tzinfo is not UTC and moment.utcoffset() != _NO_OFFSET:
        moment = moment.astimezone(UTC)
    if moment.year < 1000:
        # strftime writes such years without leading zeros; the chain has always had them so.
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.isoformat(timespec="microseconds")[:26] + "Z"


def transaction_hash(content: ChainedContent, prev_hash: str) -> str:
    """The digest of a transaction about to be posted."""
    text = canonical_text(
        content.currency_code,
        content.seq,
        content.kind,
        content.memo,
        _canonical_json(content.metadata),
        content.actor_id,
        normalise_timestamp(content.created_at),
        content.idempotency_key,
        content.reverses_id,
        [(posting.account_id, posting.amount) for posting in content.postings],
        prev_hash,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def stored_transaction_hash(
    currency_code: str,
    seq: int,
    kind: str,
    memo: str,
    metadata_json: str,
    actor_id: int | None,
    created_at: datetime | str,
    idempotency_key: str | None,
    reverses_id: int | None,
    postings: Iterable[tuple[int, int]],
    prev_hash: str,
) -> str:
    """The digest of a stored transaction, from its columns as a database driver hands them
    over: its metadata as JSON text, its moment as a datetime or as ISO 8601 text without a zone
    (SQLite's), read as UTC."""
    if isinstance(created_at, str):
        timestamp = _stored_timestamp(created_at)
    else:
        timestamp = normalise_timestamp(created_at)
    text = canonical_text(
        currency_code,
        seq,
        kind,
        memo,
        canonical_metadata(metadata_json),
        actor_id,
        timestamp,
        idempotency_key,
        reverses_id,
        postings,
        prev_hash,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _stored_timestamp(text: str) -> str:
    """``normalise_timestamp`` of a moment stored as UTC's wall clock in ISO 8601 text without a
    zone. Text of the exact shape the models store, of a date that exists in every month and a
    year from 1000 on, already holds every digit the normalised form has, so it is rearranged
    rather than parsed and written out again; other text is parsed (an offset in it is not
    honoured: the text is UTC)."""
    if _STORED_SHAPE.fullmatch(text):
        return f"{text[:10]}T{text[11:]}Z"
    return normalise_timestamp(datetime.fromisoformat(text).replace(tzinfo=UTC))


@lru_cache(maxsize=4096)
def canonical_metadata(metadata_json: str) -> str:
    """The canonical JSON of metadata stored as JSON text. Cached: a journal repeats a few
    metadata texts (``{}`` above all) many times, and the result depends on the text alone."""
    return _canonical_json(json.loads(metadata_json))


def canonical_text(
    currency_code: str,
    seq: int,
    kind: str,
    memo: str,
    metadata: str,
    actor_id: int | None,
    created_at: str,
    idempotency_key: str | None,
    reverses_id: int | None,
    postings: Iterable[tuple[int, int]],
    prev_hash: str,
) -> str:
    """The canonical form the digest is taken over, given the metadata already as canonical JSON
    and the moment already normalised."""
    lines = ",".join(
        f"[{account},{amount}]"
        if account.__class__ is int and amount.__class__ is int
        else f"[{_value(account)},{_value(amount)}]"
        for account, amount in sorted(postings)
    )
    return (
        f'{{"actor":{_value(actor_id)},"created_at":{_string(created_at)}'
        f',"currency":{_string(currency_code)},"idempotency_key":{_value(idempotency_key)}'
        f',"kind":{_string(kind)},"memo":{_string(memo)},"metadata":{metadata}'
        f',"postings":[{lines}],"prev":{_string(prev_hash)},"reverses":{_value(reverses_id)}'
        f',"seq":{_value(seq)}}}'
    )


# A string as the canonical JSON writes it (any subclass of str alike).
_string = encode_basestring


def _value(value: object) -> str:
    """A scalar as the canonical JSON writes it: the common types directly, anything else
    through the encoder itself, so that the text stays what it would have written."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int) and value is not True and value is not False:
        return int.__repr__(value)
    return _canonical_json(value)
