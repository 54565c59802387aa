"""Claim codes: batches of single-use codes (one per volunteer or shift) and multi-use codes (a
poster at an event), their URLs, revocation, and finding a code from what a volunteer sent.

Codes are derived from the batch's nonce with the secret key and stored only as digests (see
``torekes.kit.security``); whoever may read a batch can see its codes again, to reprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.locking import lock
from torekes.db.rows import referenced
from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.earning import ActivityStatus, CodeKind
from torekes.earning import queries
from torekes.earning.activities import readable_activity
from torekes.earning.projects import require_project_coordinator
from torekes.earning.read_models import BatchView, CodeView
from torekes.kit import audit_trail, clock, security, shown_codes
from torekes.kit.unit_of_work import WriteContext
from torekes.settings import Settings

MAX_BATCH_SIZE = 500
MAX_USES_PER_CODE = 100_000


@dataclass(frozen=True, slots=True)
class BatchCommand:
    kind: CodeKind
    count: int = 1
    max_uses: int = 1
    expires_at: datetime | None = None


def create_batch(
    ctx: WriteContext, settings: Settings, activity_id: int, command: BatchCommand
) -> BatchView:
    activity = lock(ctx.session, m.Activity, activity_id)
    if activity is None:
        raise errors.ActivityNotFound(activity_id=activity_id)
    require_project_coordinator(ctx.session, ctx.actor, activity.project_id)
    if activity.status == ActivityStatus.CLOSED:
        raise errors.ActivityClosed()
    _check_batch(command)
    expires_at = None if command.expires_at is None else command.expires_at.astimezone(UTC)
    batch = m.CodeBatch(
        activity_id=activity.id,
        kind=command.kind.value,
        nonce=security.new_nonce(),
        count=command.count,
        max_uses=command.max_uses,
        expires_at=expires_at,
        created_by_id=ctx.actor.user_id,
    )
    ctx.session.add(batch)
    ctx.session.flush()
    for position in range(1, command.count + 1):
        code = shown_codes.claim_code(settings.secret_key, batch.nonce, position)
        short = shown_codes.short_code(settings.secret_key, batch.nonce, position)
        ctx.session.add(
            m.ClaimCode(
                batch_id=batch.id,
                activity_id=activity.id,
                position=position,
                code_hash=security.code_digest(code),
                short_hash=security.code_digest(short),
                max_uses=command.max_uses,
                uses=0,
                expires_at=expires_at,
            )
        )
    ctx.session.flush()
    return batch_view(ctx.session, settings, batch)


def get_batch(db: Database, settings: Settings, actor: Principal, batch_id: int) -> BatchView:
    with db.read_session() as session:
        batch = session.get(m.CodeBatch, batch_id)
        if batch is None:
            raise errors.CodeNotFound("No such batch of codes", batch_id=batch_id)
        activity = readable_activity(session, actor, batch.activity_id)
        require_project_coordinator(session, actor, activity.project_id)
        return batch_view(session, settings, batch)


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """A batch without its codes, to list an activity's sheets for reprinting."""

    id: int
    kind: str
    count: int
    max_uses: int
    expires_at: datetime | None
    created_at: datetime


def list_batches(db: Database, actor: Principal, activity_id: int) -> list[BatchSummary]:
    """The activity's batches, newest first (like the codes: its coordinators, administrators)."""
    with db.read_session() as session:
        activity = readable_activity(session, actor, activity_id)
        require_project_coordinator(session, actor, activity.project_id)
        return [
            BatchSummary(b.id, b.kind, b.count, b.max_uses, b.expires_at, b.created_at)
            for b in queries.batches_of_activity(session, activity_id)
        ]


def get_code(db: Database, settings: Settings, actor: Principal, code_id: int) -> CodeView:
    with db.read_session() as session:
        code = session.get(m.ClaimCode, code_id)
        if code is None:
            raise errors.CodeNotFound(code_id=code_id)
        activity = readable_activity(session, actor, code.activity_id)
        require_project_coordinator(session, actor, activity.project_id)
        batch = referenced(session, m.CodeBatch, code.batch_id)
        return code_view(settings, batch, code)


def revoke_code(ctx: WriteContext, settings: Settings, code_id: int) -> CodeView:
    code = lock(ctx.session, m.ClaimCode, code_id)
    if code is None:
        raise errors.CodeNotFound(code_id=code_id)
    activity = referenced(ctx.session, m.Activity, code.activity_id)
    require_project_coordinator(ctx.session, ctx.actor, activity.project_id)
    if code.revoked_at is None:
        code.revoked_at = clock.now()
        ctx.session.flush()
        audit_trail.record(
            ctx, "claim_code.revoked", "claim_code", code.id, {"revoked": False}, {"revoked": True}
        )
    batch = referenced(ctx.session, m.CodeBatch, code.batch_id)
    return code_view(settings, batch, code)


def code_url(settings: Settings, code: str) -> str:
    return settings.public_url(f"/c/{code}")


def known_code(db: Database, sent: str) -> int | None:
    """The id of the code a volunteer sent, read without writing anything; ``None`` if it names
    no code. Pages and routes ask this first (see ``torekes.kit.guessing``), so that a miss never
    opens a write."""
    with db.read_session() as session:
        try:
            return find_code(session, sent).id
        except errors.CodeNotFound:
            return None


def find_code(session: Session, sent: str) -> m.ClaimCode:
    """The code a volunteer sent: the full code from the QR, or the short code they typed."""
    found = queries.code_by_digest(session, security.code_digest(sent), short=False)
    if found is None:
        short_digest = security.short_code_digest(sent)
        if short_digest is not None:
            found = queries.code_by_digest(session, short_digest, short=True)
    if found is None:
        raise errors.CodeNotFound()
    return found


def batch_view(session: Session, settings: Settings, batch: m.CodeBatch) -> BatchView:
    codes = queries.codes_of_batch(session, batch.id)
    return BatchView(
        id=batch.id,
        activity_id=batch.activity_id,
        kind=batch.kind,
        count=batch.count,
        max_uses=batch.max_uses,
        expires_at=batch.expires_at,
        created_at=batch.created_at,
        codes=[code_view(settings, batch, code) for code in codes],
    )


def code_view(settings: Settings, batch: m.CodeBatch, code: m.ClaimCode) -> CodeView:
    plain = shown_codes.claim_code(settings.secret_key, batch.nonce, code.position)
    return CodeView(
        id=code.id,
        batch_id=batch.id,
        position=code.position,
        code=plain,
        short_code=shown_codes.short_code(settings.secret_key, batch.nonce, code.position),
        url=code_url(settings, plain),
        uses=code.uses,
        max_uses=code.max_uses,
        expires_at=code.expires_at,
        revoked=code.revoked_at is not None,
    )


def _check_batch(command: BatchCommand) -> None:
    if not 1 <= command.count <= MAX_BATCH_SIZE:
        raise errors.InvalidInput(f"A batch holds 1 to {MAX_BATCH_SIZE} codes")
    if command.kind is CodeKind.SINGLE and command.max_uses != 1:
        raise errors.InvalidInput("A single-use code is used once: max_uses must be 1")
    if command.kind is CodeKind.MULTI:
        if not 1 <= command.max_uses <= MAX_USES_PER_CODE:
            raise errors.InvalidInput(f"A multi-use code allows 1 to {MAX_USES_PER_CODE} uses")
        if command.expires_at is None:
            raise errors.InvalidInput("A multi-use code needs an expiry")
    if command.expires_at is not None and command.expires_at <= clock.now():
        raise errors.InvalidInput("The expiry must lie in the future")
