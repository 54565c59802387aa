"""Audit: verifying the ledger, signed checkpoints and their checks, and the audit trail's
events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from .common import Request, Response


class ProblemOut(Response):
    check: str
    currency: str
    detail: str
    transaction_id: int | None
    seq: int | None
    account_id: int | None


class CurrencyAuditOut(Response):
    currency: str
    transactions: int
    accounts: int
    issued: int
    in_circulation: int
    redeemed: int
    pending_redemption: int
    redemptions_paid: int
    issued_identity_holds: bool = Field(
        description="issued = in circulation + redeemed, from the postings"
    )
    redemption_identity_holds: bool = Field(
        description="redeemed (the redemption account) = the paid redemptions"
    )
    last_seq: int = Field(description="The chain head the audit walked to")
    last_hash: str


class SignedCheckpointOut(Response):
    checkpoint: dict[str, Any] = Field(
        description="format, installation, created_at, and per currency its chain head (seq, "
        "hash) with issued, in_circulation and redeemed"
    )
    signature: str = Field(description="Ed25519 over the checkpoint's canonical JSON, base64")
    public_key: str = Field(description="The installation's public key, base64")
    key_id: str


class SignedCheckpointIn(Request):
    checkpoint: dict[str, Any]
    signature: Annotated[str, StringConstraints(max_length=200)]
    public_key: Annotated[str, StringConstraints(max_length=200)] = ""
    key_id: Annotated[str, StringConstraints(max_length=64)] = ""


class HeadCheckOut(Response):
    currency: str
    seq: int
    hash: str
    recomputed_hash: str | None
    matches: bool
    detail: str


class CheckpointCheckOut(Response):
    ok: bool = Field(description="The signature is this installation's and every head matches")
    signature_valid: bool
    key_id: str
    created_at: str | None
    currencies: list[HeadCheckOut]


class CheckpointKeyOut(Response):
    public_key: str
    key_id: str


class VerifyOut(Response):
    ok: bool
    transactions_checked: int
    accounts_checked: int
    currencies: list[CurrencyAuditOut]
    problem_count: int
    first_break: ProblemOut | None
    problems: list[ProblemOut]
    checkpoint: SignedCheckpointOut | None = Field(
        default=None, description="When asked for and the ledger is intact"
    )


class AuditEventOut(Response):
    id: int
    occurred_at: datetime
    actor_id: int | None = Field(description="Null for the operator's command line")
    action: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
