"""The tables, as typed SQLAlchemy models; Alembic's migrations must build exactly these.

``transactions`` and ``postings`` are the journal: rows are inserted and never changed (database
triggers, created in the migrations, reject UPDATE and DELETE). ``accounts.balance`` and
``accounts.held`` are projections kept in the same database transaction as the postings; CHECK
constraints keep every floored account at or above zero even if code were to slip.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from torekes.domain.approvals import NO_MONEY_KINDS, POSTING_KINDS, SUBJECT_KINDS, ApprovalKind

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and always read back time-zone aware.

    SQLite keeps no time zone and hands back naive values; PostgreSQL hands back the session's
    zone. Both come out of here as UTC, so the API and the hash chain see one form.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Sign-ins by password (``kind`` password, ``username`` the username) and by member card
    at the counter (``kind`` card, ``username`` the typed card number): the failures, counted
    per subject and client address over a sliding window, and the last success of each subject
    from each client address, which marks an address the subject is known to sign in from."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        CheckConstraint("kind IN ('password', 'card')", name="kind_known"),
        Index("ix_login_attempts_username_at", "username", "attempted_at"),
        Index("ix_login_attempts_client_at", "client", "attempted_at"),
        Index("ix_login_attempts_at", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="password", server_default="password")
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64), default="")
    succeeded: Mapped[bool] = mapped_column(default=False, server_default=false())
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Currency(Base):
    __tablename__ = "currencies"
    __table_args__ = (
        CheckConstraint("decimals >= 0 AND decimals <= 8", name="decimals_range"),
        CheckConstraint("last_seq >= 0", name="last_seq_non_negative"),
        CheckConstraint("max_payment IS NULL OR max_payment > 0", name="max_payment_positive"),
        CheckConstraint(
            "daily_spend_limit IS NULL OR daily_spend_limit > 0", name="daily_limit_positive"
        ),
        CheckConstraint(
            "confirm_above IS NULL OR confirm_above > 0", name="confirm_above_positive"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    decimals: Mapped[int] = mapped_column(Integer)
    euro_rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    # The chain head: the last sequence number and hash posted in this currency. Every ledger
    # write locks this row, which is what makes sequences gap-free and the chain linear.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    # Optional spending limits for member accounts, in minor units; NULL means no limit.
    max_payment: Mapped[int | None] = mapped_column(BigInteger)
    daily_spend_limit: Mapped[int | None] = mapped_column(BigInteger)
    # An amount typed on a page above this (minor units) is asked to be confirmed first; NULL:
    # never asked.
    confirm_above: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("held >= 0", name="held_non_negative"),
        CheckConstraint("kind = 'issuance' OR balance - held >= 0", name="floor"),
        CheckConstraint("status IN ('active', 'frozen', 'closed')", name="status_known"),
        CheckConstraint(
            "kind IN ('issuance', 'budget', 'member', 'shop', 'partner', 'redemption')",
            name="kind_known",
        ),
        CheckConstraint("NOT redeemable OR kind = 'partner'", name="redeemable_partner"),
        Index(
            "uq_accounts_system_kind",
            "currency_id",
            "kind",
            unique=True,
            sqlite_where=text("kind IN ('issuance', 'redemption')"),
            postgresql_where=text("kind IN ('issuance', 'redemption')"),
        ),
        Index("ix_accounts_owner_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Shops always redeem; a partner account only once an administrator marks it redeemable.
    redeemable: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Where redeemed tokens are paid out in euros (shops and partners).
    iban: Mapped[str | None] = mapped_column(String(34))
    payout_name: Mapped[str | None] = mapped_column(String(70))


class Transaction(Base):
    """A journal entry. Immutable once inserted."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("currency_id", "seq", name="uq_transactions_currency_seq"),
        UniqueConstraint("actor_id", "idempotency_key", name="uq_transactions_actor_key"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        Index("ix_transactions_currency_created", "currency_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    memo: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # Unique: a transaction is reversed at most once, enforced by the database.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Posting(Base):
    """One line of a journal entry. Immutable once inserted."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_non_zero"),
        UniqueConstraint("transaction_id", "account_id", name="uq_postings_transaction_account"),
        Index("ix_postings_account_seq", "account_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    # The transaction's sequence number, repeated so statements and as-of balances read one index.
    seq: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)


class IdempotencyRecord(Base):
    """The stored outcome of a write made with an ``Idempotency-Key``, replayed on retries: its
    status and body (a refusal's problem too), the codes it shows replaced by placeholders that
    ``derived_codes`` says how to derive again, and the request's fingerprint keyed with the
    secret key (see ``torekes.kit.unit_of_work``)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("principal_id", "key", name="uq_idempotency_records_principal_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    derived_codes: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hold(Base):
    """Funds reserved on an account (``accounts.held``) until posted or released, exactly once."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'posted', 'released')", name="status_known"),
        Index("ix_holds_account_status", "account_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"))


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id"))
    budget_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProjectCoordinator(Base):
    __tablename__ = "project_coordinators"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("reward_amount > 0", name="reward_positive"),
        CheckConstraint("claims_count >= 0", name="claims_count_non_negative"),
        CheckConstraint("capacity IS NULL OR claims_count <= capacity", name="within_capacity"),
        CheckConstraint("status IN ('active', 'paused', 'closed')", name="status_known"),
        Index("ix_activities_project_id", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    reward_kind: Mapped[str] = mapped_column(String(16))
    reward_amount: Mapped[int] = mapped_column(BigInteger)
    max_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    capacity: Mapped[int | None] = mapped_column(Integer)
    per_member_limit: Mapped[int | None] = mapped_column(Integer)
    period_limit: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(8))
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    requires_approval: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # Claims not rejected, kept under the activity's row lock so capacity holds under races.
    claims_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CodeBatch(Base):
    """A batch of claim codes. The codes themselves are never stored: they are derived from the
    batch's nonce with the secret key (for reprinting) and looked up by their SHA-256 digest."""

    __tablename__ = "code_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    nonce: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    max_uses: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ClaimCode(Base):
    __tablename__ = "claim_codes"
    __table_args__ = (
        CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_limit"),
        UniqueConstraint("batch_id", "position", name="uq_claim_codes_batch_position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("code_batches.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    short_hash: Mapped[str] = mapped_column(String(64), unique=True)
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'paid', 'rejected')", name="status_known"),
        Index("ix_claims_activity_member", "activity_id", "member_id", "created_at"),
        Index("ix_claims_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    # None for a claim recorded for the member by a coordinator (``recorded_by_id``).
    code_id: Mapped[int | None] = mapped_column(ForeignKey("claim_codes.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    hold_id: Mapped[int | None] = mapped_column(ForeignKey("holds.id"), unique=True)
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)


class PaymentRequest(Base):
    """A shop's QR asking for money: one-off (amount, expiry, paid once) or standing (at the till,
    the member types the amount). Like claim codes, the code is derived from ``nonce`` with the
    secret key and looked up by its digest; ``expired`` is never stored, it is read from the clock.
    """

    __tablename__ = "payment_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('one_off', 'standing')", name="kind_known"),
        CheckConstraint("status IN ('open', 'paid', 'cancelled')", name="status_known"),
        CheckConstraint(
            "(kind = 'one_off' AND amount > 0 AND expires_at IS NOT NULL)"
            " OR (kind = 'standing' AND amount IS NULL AND expires_at IS NULL"
            " AND status <> 'paid')",
            name="kind_shape",
        ),
        CheckConstraint(
            "(status = 'paid') = (transaction_id IS NOT NULL)", name="paid_has_transaction"
        ),
        Index("ix_payment_requests_shop_created", "shop_account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    memo: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), unique=True)


class MemberCard(Base):
    """A member's card: a QR code (derived from ``nonce``, stored as a digest), a printed number
    (found by its keyed digest, printed again from its sealed copy, its last four digits shown on
    receipts), and an argon2-hashed PIN. ``pin_failures`` counts wrong PINs in a row; five lock the
    card."""

    __tablename__ = "member_cards"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'blocked')", name="status_known"),
        CheckConstraint("pin_failures >= 0", name="pin_failures_non_negative"),
        Index(
            "uq_member_cards_active_member",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    number_digest: Mapped[str] = mapped_column(String(64), unique=True)
    number_sealed: Mapped[str] = mapped_column(String(128))
    number_ending: Mapped[str] = mapped_column(String(4))
    pin_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    blocked_at: Mapped[datetime | None]
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    block_reason: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("member_cards.id"), unique=True)


class PinAttempt(Base):
    """One try of a card's PIN at a shop: ``pending`` while the PIN is checked, then ``wrong`` or
    ``right``. Failures per shop are counted over a window to stop guessing across many cards;
    an attempt whose outcome was never written counts as a failure."""

    __tablename__ = "pin_attempts"
    __table_args__ = (
        CheckConstraint("outcome IN ('pending', 'wrong', 'right')", name="outcome_known"),
        Index("ix_pin_attempts_shop_at", "shop_account_id", "attempted_at"),
        Index("ix_pin_attempts_actor_at", "actor_id", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("member_cards.id"), index=True)
    # None for a try by someone acting for the card's member away from a till, counted against
    # ``actor_id`` instead.
    shop_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(8), default="pending")
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(Base):
    """A payment from a member (or another shop) to a shop: which transaction, by which channel,
    and how much of it has been refunded, counted under this row's lock."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="refunds_within_amount"
        ),
        CheckConstraint("channel IN ('request', 'standing', 'card')", name="channel_known"),
        Index("ix_payments_shop_created", "shop_account_id", "created_at"),
        Index("ix_payments_payer_created", "payer_account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    shop_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    payer_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_request_id: Mapped[int | None] = mapped_column(ForeignKey("payment_requests.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("member_cards.id"))
    created_at: Mapped[datetime]


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id"), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditEvent(Base):
    """One administrative action outside the journal (users, cards, codes, limits, rates,
    redemptions, ...): who, what, when, and the subject before and after. Append-only: database
    triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        Index("ix_audit_events_action", "action"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime]
    # NULL for the operator's command line, which acts as no user.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CurrencyRate(Base):
    """The euro value of one whole unit of a currency from ``valid_from`` on; the newest rate not
    after a moment is the rate in force then. Rows are only ever added."""

    __tablename__ = "currency_rates"
    __table_args__ = (
        CheckConstraint("rate >= 0", name="rate_non_negative"),
        UniqueConstraint("currency_id", "valid_from", name="uq_currency_rates_currency_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id"))
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    valid_from: Mapped[datetime]
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Settlement(Base):
    """A batch of approved redemptions paid out together: exported for the bookkeeper and the
    bank, then marked paid in one step."""

    __tablename__ = "settlements"
    __table_args__ = (CheckConstraint("status IN ('open', 'paid')", name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id"))
    status: Mapped[str] = mapped_column(String(8), default="open")
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payout_reference: Mapped[str | None] = mapped_column(String(140))


class Redemption(Base):
    """A shop's (or partner's) request to turn tokens into euros: held at once, then approved
    (at the rate in force then), paid (posted to the currency's redemption account) or rejected
    (the hold released). Each step once; who and when are kept."""

    __tablename__ = "redemptions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "status IN ('requested', 'approved', 'paid', 'rejected')", name="status_known"
        ),
        CheckConstraint(
            "status IN ('requested', 'rejected') OR (rate IS NOT NULL AND euro_cents IS NOT NULL)",
            name="approved_has_rate",
        ),
        CheckConstraint("(status = 'paid') = (transaction_id IS NOT NULL)", name="paid_posted"),
        Index("ix_redemptions_account_status", "account_id", "status"),
        Index("ix_redemptions_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    currency_id: Mapped[int] = mapped_column(ForeignKey("currencies.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"), unique=True)
    memo: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    euro_cents: Mapped[int | None] = mapped_column(BigInteger)
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"), index=True)
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payout_reference: Mapped[str | None] = mapped_column(String(140))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), unique=True)
    rejected_at: Mapped[datetime | None]
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)


APPROVAL_KINDS = ", ".join(f"'{kind.value}'" for kind in ApprovalKind)
APPROVAL_POSTING_KINDS = ", ".join(
    f"'{kind.value}'" for kind in ApprovalKind if kind in POSTING_KINDS
)
APPROVAL_NO_MONEY_KINDS = ", ".join(
    f"'{kind.value}'" for kind in ApprovalKind if kind in NO_MONEY_KINDS
)
APPROVAL_SUBJECT_KINDS = ", ".join(
    f"'{kind.value}'" for kind in ApprovalKind if kind in SUBJECT_KINDS
)


class ApprovalRequest(Base):
    """An administrator's action above the four-eyes threshold (an issuance, reversal, general
    entry or transfer; approving or paying a redemption; making or paying a settlement), or the
    making of another administrator, setting another administrator's password, deactivating or
    reactivating one, waiting for a second administrator. The database itself refuses an
    approval by the one who asked, and by the administrator the request is about."""

    __tablename__ = "approval_requests"
    __table_args__ = (
        CheckConstraint(f"kind IN ({APPROVAL_KINDS})", name="kind_known"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            f"(kind IN ({APPROVAL_NO_MONEY_KINDS})) = (currency_id IS NULL)"
            " AND (currency_id IS NULL) = (amount IS NULL)",
            name="money_named",
        ),
        CheckConstraint(
            f"(status = 'approved' AND kind IN ({APPROVAL_POSTING_KINDS}))"
            " = (transaction_id IS NOT NULL)",
            name="approved_posted",
        ),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_once"),
        CheckConstraint(
            "status <> 'approved'"
            " OR (decided_by_id IS NOT NULL AND decided_by_id <> requested_by_id)",
            name="four_eyes",
        ),
        CheckConstraint(
            f"(kind IN ({APPROVAL_SUBJECT_KINDS})) = (subject_user_id IS NOT NULL)",
            name="subject_named",
        ),
        CheckConstraint(
            "status <> 'approved' OR subject_user_id IS NULL"
            " OR (decided_by_id IS NOT NULL AND decided_by_id <> subject_user_id)",
            name="not_by_subject",
        ),
        Index("ix_approval_requests_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # None only for the making of an administrator, which moves no money.
    currency_id: Mapped[int | None] = mapped_column(ForeignKey("currencies.id"))
    # What the action moves (an entry's positive postings, a redemption's or settlement's
    # tokens), in minor units, when it was asked for.
    amount: Mapped[int | None] = mapped_column(BigInteger)
    # The command to run once approved: the same body the endpoint took (a new administrator's
    # password only as its argon2 hash).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    # The administrator the request is about (whose password it sets, whom it deactivates or
    # reactivates), who may not approve it; None for the other kinds.
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The one transaction an approval posted (not for approving a redemption, making or paying a
    # settlement, or making an administrator).
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("transactions.id"), unique=True)
