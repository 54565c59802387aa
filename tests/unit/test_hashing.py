"""The hash chain's digest: deterministic, sensitive to every field, blind to representation."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from torekes.domain.entries import Posting
from torekes.domain.hashing import (
    GENESIS_HASH,
    ChainedContent,
    normalise_timestamp,
    transaction_hash,
)

MOMENT = datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
PREV = "ab" * 32


def content(**changes: Any) -> ChainedContent:
    base = ChainedContent(
        currency_code="TRK",
        seq=3,
        kind="transfer",
        memo="Garden work",
        metadata={"hours": 2, "project": "garden"},
        actor_id=5,
        created_at=MOMENT,
        idempotency_key="key-1",
        reverses_id=None,
        postings=[Posting(1, -50), Posting(2, 50)],
    )
    return dataclasses.replace(base, **changes)


def test_the_digest_is_a_sha256_hex_string() -> None:
    digest = transaction_hash(content(), PREV)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert len(GENESIS_HASH) == 64


def test_the_digest_is_deterministic() -> None:
    assert transaction_hash(content(), PREV) == transaction_hash(content(), PREV)


def test_the_digest_is_sha256_over_the_documented_canonical_json() -> None:
    # A change to the canonical form would break every stored chain: it must be deliberate.
    canonical = (
        '{"actor":5,"created_at":"2026-03-14T09:26:53.589793Z","currency":"TRK",'
        '"idempotency_key":"key-1","kind":"transfer","memo":"Garden work",'
        '"metadata":{"hours":2,"project":"garden"},"postings":[[1,-50],[2,50]],'
        f'"prev":"{PREV}","reverses":null,"seq":3}}'
    )
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    assert transaction_hash(content(), PREV) == expected
    assert expected == "8111d7870ff49dc46cb0376feead1211af740db8d817a2cc0e7cf56be7e0589a"


@pytest.mark.parametrize(
    "changes",
    [
        {"currency_code": "EUR"},
        {"seq": 4},
        {"kind": "payment"},
        {"memo": "Garden work!"},
        {"metadata": {"hours": 3, "project": "garden"}},
        {"metadata": {"hours": 2}},
        {"metadata": {}},
        {"actor_id": 6},
        {"actor_id": None},
        {"created_at": MOMENT + timedelta(microseconds=1)},
        {"idempotency_key": "key-2"},
        {"idempotency_key": None},
        {"reverses_id": 1},
        {"postings": [Posting(1, -51), Posting(2, 51)]},
        {"postings": [Posting(1, 50), Posting(2, -50)]},
        {"postings": [Posting(1, -50), Posting(3, 50)]},
        {"postings": [Posting(1, -50), Posting(2, 25), Posting(3, 25)]},
    ],
    ids=lambda changes: ",".join(f"{k}={v!r}" for k, v in changes.items()),
)
def test_any_change_of_content_changes_the_digest(changes: dict[str, Any]) -> None:
    assert transaction_hash(content(**changes), PREV) != transaction_hash(content(), PREV)


def test_a_change_of_the_previous_hash_changes_the_digest() -> None:
    assert transaction_hash(content(), PREV) != transaction_hash(content(), "cd" * 32)


def test_naive_timestamps_are_taken_as_utc() -> None:
    naive = MOMENT.replace(tzinfo=None)
    assert transaction_hash(content(created_at=naive), PREV) == transaction_hash(content(), PREV)


def test_the_same_instant_in_another_zone_gives_the_same_digest() -> None:
    brussels = MOMENT.astimezone(timezone(timedelta(hours=1)))
    assert brussels.hour != MOMENT.hour
    assert transaction_hash(content(created_at=brussels), PREV) == transaction_hash(content(), PREV)


def test_timestamps_keep_their_microseconds() -> None:
    assert normalise_timestamp(MOMENT) == "2026-03-14T09:26:53.589793Z"
    assert normalise_timestamp(MOMENT.replace(microsecond=0)) == "2026-03-14T09:26:53.000000Z"


def test_the_order_of_postings_does_not_matter() -> None:
    forward = [Posting(1, -50), Posting(2, 20), Posting(3, 30)]
    backward = list(reversed(forward))
    assert transaction_hash(content(postings=forward), PREV) == transaction_hash(
        content(postings=backward), PREV
    )
    assert transaction_hash(content(postings=tuple(forward)), PREV) == transaction_hash(
        content(postings=forward), PREV
    )


def test_the_order_of_metadata_keys_does_not_matter() -> None:
    one = content(metadata={"a": 1, "b": {"x": 1, "y": 2}})
    other = content(metadata={"b": {"y": 2, "x": 1}, "a": 1})
    assert transaction_hash(one, PREV) == transaction_hash(other, PREV)


def test_non_ascii_memos_hash() -> None:
    assert transaction_hash(content(memo="Café Ça va ✓"), PREV) != transaction_hash(
        content(memo="Cafe Ca va"), PREV
    )


def test_chaining_links_each_digest_to_its_predecessor() -> None:
    first = transaction_hash(content(seq=1), GENESIS_HASH)
    second = transaction_hash(content(seq=2), first)
    tampered_first = transaction_hash(content(seq=1, memo="tampered"), GENESIS_HASH)
    assert transaction_hash(content(seq=2), tampered_first) != second
