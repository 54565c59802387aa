"""The hash chain's digest: deterministic, sensitive to every field, blind to representation,
and byte for byte the documented canonical form however the transaction is handed over."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from torekes.domain.entries import Posting
from torekes.domain.hashing import (
    GENESIS_HASH,
    ChainedContent,
    normalise_timestamp,
    stored_transaction_hash,
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


# The canonical form as documented, written the plain way: the fast serialisation must give
# byte for byte the same digests, or stored chains would stop verifying.
def reference_hash(content: ChainedContent, prev_hash: str) -> str:
    moment = content.created_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    document = {
        "currency": content.currency_code,
        "seq": content.seq,
        "kind": content.kind,
        "memo": content.memo,
        "metadata": content.metadata,
        "actor": content.actor_id,
        "created_at": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "idempotency_key": content.idempotency_key,
        "reverses": content.reverses_id,
        "postings": sorted([p.account_id, p.amount] for p in content.postings),
        "prev": prev_hash,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def outcome(compute: Callable[..., str], *args: Any) -> str:
    """The digest, or the kind of error: text no encoding holds fails either way."""
    try:
        return compute(*args)
    except (UnicodeEncodeError, OverflowError) as error:
        return type(error).__name__


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)


def json_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)


json_values = st.recursive(json_scalars, json_containers, max_leaves=12)
zones = (
    st.just(UTC)
    | st.just(ZoneInfo("Etc/UTC"))
    | st.timezones()
    | st.builds(
        timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
    )
)
earliest, latest = datetime(2, 1, 1), datetime(9998, 12, 31)
moments = st.datetimes(earliest, latest) | st.datetimes(earliest, latest, timezones=zones)
ids = st.integers(min_value=1, max_value=2**62)
contents = st.builds(
    ChainedContent,
    currency_code=st.text(min_size=1, max_size=8),
    seq=ids,
    kind=st.sampled_from(["issuance", "reward", "payment", "refund", "reversal"]) | st.text(),
    memo=st.text(),
    metadata=st.dictionaries(st.text(), json_values, max_size=6),
    actor_id=st.none() | ids,
    created_at=moments | moments.map(lambda moment: moment.replace(microsecond=0)),
    idempotency_key=st.none() | st.text(max_size=40),
    reverses_id=st.none() | ids,
    postings=st.lists(
        st.builds(Posting, ids, st.integers(min_value=-(10**15), max_value=10**15)),
        min_size=0,
        max_size=5,
    ),
)
prev_hashes = st.just(GENESIS_HASH) | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@settings(max_examples=250, deadline=None)
@given(content=contents, prev_hash=prev_hashes)
def test_the_digest_is_that_of_the_documented_canonical_form(
    content: ChainedContent, prev_hash: str
) -> None:
    expected = outcome(reference_hash, content, prev_hash)
    assert outcome(transaction_hash, content, prev_hash) == expected


@settings(max_examples=250, deadline=None)
@given(content=contents, prev_hash=prev_hashes)
def test_a_stored_transaction_hashes_as_it_did_when_posted(
    content: ChainedContent, prev_hash: str
) -> None:
    expected = outcome(reference_hash, content, prev_hash)
    moment = content.created_at
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    # As the databases hand the columns back: metadata as the JSON text the models store, the
    # moment as SQLite's text (UTC without a zone) or as PostgreSQL's driver's aware moment.
    stored_moments: list[datetime | str] = [aware]
    try:
        utc = aware.astimezone(UTC)
    except OverflowError:
        pass
    else:
        stored_moments += [utc.replace(tzinfo=None).isoformat(" ", "microseconds"), utc]
    pairs = [(posting.account_id, posting.amount) for posting in content.postings]
    for stored in stored_moments:
        digest = outcome(
            stored_transaction_hash,
            content.currency_code,
            content.seq,
            content.kind,
            content.memo,
            json.dumps(content.metadata),
            content.actor_id,
            stored,
            content.idempotency_key,
            content.reverses_id,
            reversed(pairs),
            prev_hash,
        )
        assert digest == expected, stored


@pytest.mark.parametrize(
    "moment",
    [
        MOMENT,
        MOMENT.replace(microsecond=0),
        MOMENT.replace(tzinfo=None),
        MOMENT.astimezone(timezone(timedelta(hours=-9, minutes=-30))),
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
    ],
    ids=str,
)
def test_timestamps_normalise_as_strftime_writes_them(moment: datetime) -> None:
    utc = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    assert normalise_timestamp(moment) == utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_sqlite_text_and_postgresql_moments_hash_alike() -> None:
    args = ("TRK", 3, "transfer", "Garden work", '{"project": "garden", "hours": 2}', 5)
    rest = ("key-1", None, [(2, 50), (1, -50)], PREV)
    from_text = stored_transaction_hash(*args, "2026-03-14 09:26:53.589793", *rest)
    from_moment = stored_transaction_hash(*args, MOMENT.astimezone(timezone.max), *rest)
    assert from_text == from_moment == transaction_hash(content(), PREV)


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-14 09:26:53.589793",
        "2026-03-14 09:26:53.000000",
        "2024-02-29 23:59:59.999999",
        "2026-01-31 00:00:00.000001",
        "0999-12-31 23:59:59.000000",
        "2026-03-14 09:26:53",
        "2026-03-14T09:26:53.589793",
        "2026-03-14 09:26:53.589793+02:00",
    ],
)
def test_stored_text_moments_hash_as_parsed(text: str) -> None:
    parsed = datetime.fromisoformat(text).replace(tzinfo=UTC)
    args = ("TRK", 3, "transfer", "Garden work", '{"hours": 2, "project": "garden"}', 5)
    rest = ("key-1", None, [(1, -50), (2, 50)], PREV)
    expected = transaction_hash(content(created_at=parsed), PREV)
    assert stored_transaction_hash(*args, text, *rest) == expected


@pytest.mark.parametrize("text", ["2026-02-29 09:26:53.589793", "2026-04-31 09:26:53.589793"])
def test_stored_text_of_a_day_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="day is out of range"):
        stored_transaction_hash("TRK", 3, "transfer", "", "{}", 5, text, None, None, [], PREV)
