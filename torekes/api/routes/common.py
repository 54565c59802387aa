"""Shared route pieces: documented error responses and path and query parameter types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator

from torekes.api.schemas import MAX_ID, ApprovalOut, ProblemDetails
from torekes.api.schemas.common import printable
from torekes.approvals.four_eyes import ApprovalView
from torekes.kit.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

_DESCRIPTIONS = {
    400: "The body could not be parsed (bad_request)",
    401: "Missing, unknown, revoked or expired bearer token",
    403: "The caller's role or ownership does not allow this",
    404: "No such resource",
    409: "Refused by the ledger's state (insufficient_funds, account_frozen, ...)",
    413: "The body is larger than the service accepts (request_too_large)",
    422: "Malformed request; `errors` names each field",
    429: "Too many attempts; see Retry-After",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": ProblemDetails,
            "description": _DESCRIPTIONS[status],
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }


READ = problems(401, 403, 404, 409, 422)
WRITE = problems(400, 401, 403, 404, 409, 413, 422)
# What a read that takes a body (a document to check) may answer.
READ_WITH_BODY = problems(400, 401, 403, 404, 409, 413, 422)

# A write a second administrator may have to approve (four eyes) answers 202 with the request it
# filed instead of doing it; ``DEFERRED`` tells the writer how to render that request.
FOUR_EYES: dict[int | str, dict[str, Any]] = {
    **WRITE,
    202: {
        "model": ApprovalOut,
        "description": "Four eyes: filed for a second administrator's approval, nothing done yet",
    },
}
DEFERRED = (ApprovalView, ApprovalOut, 202)

# Text from a path or a query string: the same rule as text in a body (no NUL, which PostgreSQL
# cannot store or compare), so both databases refuse it alike with a 422 naming the parameter.
Text = Annotated[str, AfterValidator(printable)]

AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]
TransactionId = Annotated[int, Path(ge=1, le=MAX_ID)]
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
ProjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
ActivityId = Annotated[int, Path(ge=1, le=MAX_ID)]
BatchId = Annotated[int, Path(ge=1, le=MAX_ID)]
CodeId = Annotated[int, Path(ge=1, le=MAX_ID)]
ClaimId = Annotated[int, Path(ge=1, le=MAX_ID)]
CardId = Annotated[int, Path(ge=1, le=MAX_ID)]
RequestCode = Annotated[
    Text, Path(min_length=1, max_length=100, description="The code from the payment QR's URL")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[
    Text | None, Query(max_length=20, description="`next_cursor` of the previous page")
]
CurrencyPath = Annotated[Text, Path(max_length=12)]
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE
