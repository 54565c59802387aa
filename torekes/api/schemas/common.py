"""What the schemas of every area share: the Request and Response bases, the generic Page,
RFC 9457 problem details, the id and sequence bounds, and the validated types (moments, ids,
amounts, memos, names, currency codes) with their validators."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)

from torekes.domain.entries import MAX_AMOUNT, MAX_MEMO_LENGTH

MAX_ID = 2**31 - 1
MAX_SEQ = 2**62


def printable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _within_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the calendar once converted to UTC") from None


# A moment with a time zone, which must still be a date once converted to UTC (as it is stored).
def _written_out(value: object) -> object:
    # Lax datetimes read a number as seconds since 1970; the contract promises an ISO 8601 string.
    if isinstance(value, int | float | Decimal):
        raise ValueError("must be an ISO 8601 date and time with its offset, not a number")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_written_out), AfterValidator(_within_utc)]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Amount = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT, description="Minor units; positive.")]
Memo = Annotated[str, StringConstraints(max_length=MAX_MEMO_LENGTH), AfterValidator(printable)]
ShortMemo = Annotated[str, StringConstraints(max_length=200), AfterValidator(printable)]
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, strip_whitespace=True),
    AfterValidator(printable),
]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,11}$")]

ItemT = TypeVar("ItemT")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Response, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with the stable machine ``code`` clients switch on."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    instance: str
    request_id: str | None = Field(
        description="The request's id, as in its X-Request-ID header and in every log line "
        "written while serving it"
    )
    detail: str | None = None
