"""Journal entries: postings, transaction kinds and the rules of form every entry obeys.

An entry is two or more postings of signed, non-zero integer amounts in minor units that sum to
zero, each on a different account. Whether the accounts may take them (currency, status, floors)
is decided later against their locked state, in ``torekes.domain.accounts``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from torekes.domain import errors

# The largest amount one posting may carry: a thousand billion minor units is far beyond any
# neighbourhood currency, and keeps every sum comfortably inside 64 bits.
MAX_AMOUNT = 10**15
MAX_MEMO_LENGTH = 500
MAX_METADATA_BYTES = 4096
# Objects and arrays nested at most this deep: plain metadata needs a few levels, and serialisers
# refuse far fewer than 4 KiB can hold (an approval request nests it a few levels more).
MAX_METADATA_DEPTH = 16


class TransactionKind(StrEnum):
    ISSUANCE = "issuance"
    TRANSFER = "transfer"
    REWARD = "reward"
    PAYMENT = "payment"
    REFUND = "refund"
    REDEMPTION = "redemption"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"


# Kinds an administrator may post as a general entry; the others come only from their own use case.
GENERAL_ENTRY_KINDS = frozenset(TransactionKind) - {TransactionKind.REVERSAL}


@dataclass(frozen=True, slots=True)
class Posting:
    account_id: int
    amount: int


def check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise errors.InvalidAmount(f"{amount!r} is not a non-zero whole number")
    if abs(amount) > MAX_AMOUNT:
        raise errors.InvalidAmount(f"{amount} exceeds the limit of {MAX_AMOUNT}")


def check_metadata(metadata: Mapping[str, Any]) -> None:
    """Metadata must be plain JSON (no NaN or Infinity), without NUL, small and shallow."""
    try:
        encoded = json.dumps(metadata, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise errors.InvalidMetadata(
            "Metadata must be plain JSON without NaN or Infinity"
        ) from None
    if len(encoded.encode()) > MAX_METADATA_BYTES:
        raise errors.InvalidMetadata(
            f"Metadata must serialise to at most {MAX_METADATA_BYTES} bytes"
        )
    if _depth(metadata) > MAX_METADATA_DEPTH:
        raise errors.InvalidMetadata(
            f"Metadata must nest objects and arrays at most {MAX_METADATA_DEPTH} deep"
        )
    if _has_nul(metadata):
        raise errors.InvalidMetadata("Metadata must not contain NUL characters")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _depth(value: Any) -> int:
    """How deep objects and arrays nest in ``value``, counted without recursion."""
    deepest, waiting = 0, [(value, 0)]
    while waiting:
        item, depth = waiting.pop()
        if isinstance(item, Mapping):
            children: list[Any] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        waiting.extend((child, depth + 1) for child in children)
    return deepest


def validate_postings(postings: Sequence[Posting]) -> None:
    """Raise unless ``postings`` form a well-formed, balanced entry."""
    if len(postings) < 2:
        raise errors.TooFewPostings()
    for posting in postings:
        check_amount(posting.amount)
    if len({posting.account_id for posting in postings}) != len(postings):
        raise errors.DuplicateAccountInEntry()
    total = sum(posting.amount for posting in postings)
    if total != 0:
        raise errors.UnbalancedEntry(f"Postings sum to {total}, not 0")


def transfer_postings(from_account_id: int, to_account_id: int, amount: int) -> list[Posting]:
    """The two postings of a plain transfer of a positive ``amount``."""
    if amount <= 0:
        raise errors.InvalidAmount("A transfer amount must be positive")
    return [Posting(from_account_id, -amount), Posting(to_account_id, amount)]


def reversal_postings(original: Sequence[Posting]) -> list[Posting]:
    return [Posting(posting.account_id, -posting.amount) for posting in original]
