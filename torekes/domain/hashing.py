"""The hash chain: a SHA-256 digest over a transaction's content and its predecessor's digest.

The content is serialised canonically (JSON, sorted keys, no spaces, postings sorted by account)
so that the digest computed at posting time and the one recomputed by an audit agree exactly on
any database. The first transaction of a currency chains to ``GENESIS_HASH``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from torekes.domain.entries import Posting

GENESIS_HASH = "0" * 64


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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def transaction_hash(content: ChainedContent, prev_hash: str) -> str:
    document = {
        "currency": content.currency_code,
        "seq": content.seq,
        "kind": content.kind,
        "memo": content.memo,
        "metadata": content.metadata,
        "actor": content.actor_id,
        "created_at": normalise_timestamp(content.created_at),
        "idempotency_key": content.idempotency_key,
        "reverses": content.reverses_id,
        "postings": sorted([p.account_id, p.amount] for p in content.postings),
        "prev": prev_hash,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
