"""The acts done for a member with their card and PIN as consent: showing their statement
(shopkeepers at the counter and administrators) and recording a claim of hours worked
(coordinators at their projects' activities, administrators at any).

The PIN is checked as a card payment checks it (``torekes.spending.cards.with_consent``): the same
row lock, failure counted in advance, the fifth wrong PIN in a row locking the card, and the same
window over failures, kept per acting person where a shop's is kept per shop. Who may act is
checked before the PIN is tried, so nobody without the right burns a member's tries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.engine import Database
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.cards import masked_card_number
from torekes.earning import claims
from torekes.earning.claims import ClaimFor
from torekes.earning.projects import require_project_coordinator
from torekes.earning.read_models import ClaimView
from torekes.kit import audit_trail, clock
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import queries as ledger
from torekes.ledger.accounts import statement_lines
from torekes.ledger.read_models import StatementLine
from torekes.settings import Settings
from torekes.spending.cards import CardConsent, with_consent

from .read_models import ClaimRecorded, MemberStatement, WalletStatement

T = TypeVar("T")

# Who may show a member's statement with their card and PIN: a shopkeeper at the counter, an
# administrator at the desk.
STATEMENT_ACTORS = (Role.SHOPKEEPER, Role.ADMIN)
# Who may record a claim for a member: the coordinators of the activity's project, and
# administrators, as for deciding claims.
CLAIM_ACTORS = (Role.COORDINATOR, Role.ADMIN)
RECENT_ENTRIES = 20


@dataclass(frozen=True, slots=True)
class ClaimForCard:
    """A claim for the member whose card and PIN are given."""

    card: str
    pin: str
    activity_id: int
    hours: Decimal | None = None


def show_statement(
    db: Database,
    settings: Settings,
    actor: Principal,
    card: str,
    pin: str,
    commit: Callable[[Callable[[WriteContext], MemberStatement]], T],
) -> T:
    """The card's member's balance and latest entries, with their card and PIN as consent;
    recorded in the audit trail as ``member.statement_shown`` by the actor for the member."""
    access.require_role(actor, *STATEMENT_ACTORS)
    consent = CardConsent(card, pin)
    return with_consent(db, settings, actor, consent, commit, _statement)


def claim_for_card(
    db: Database,
    settings: Settings,
    actor: Principal,
    order: ClaimForCard,
    commit: Callable[[Callable[[WriteContext], ClaimRecorded]], T],
) -> T:
    """Record a claim for the card's member (``torekes.earning.claims.claim_for``), with their
    card and PIN as consent."""
    check_claim_for(db, actor, order.activity_id, order.hours)

    def record(ctx: WriteContext, card_id: int) -> ClaimRecorded:
        member_id = referenced(ctx.session, m.MemberCard, card_id).member_id
        claim = claims.claim_for(ctx, settings, ClaimFor(order.activity_id, member_id, order.hours))
        return claim_recorded(ctx.session, ctx.actor, claim)

    return with_consent(db, settings, actor, CardConsent(order.card, order.pin), commit, record)


def check_claim_for(
    db: Database, actor: Principal, activity_id: int, hours: Decimal | None
) -> None:
    """Whether the actor may record a claim of these hours at the activity for a member: asked
    before the device goes to the member for the PIN, so no PIN is typed for nothing."""
    access.require_role(actor, *CLAIM_ACTORS)
    with db.read_session() as session:
        activity = session.get(m.Activity, activity_id)
        if activity is None:
            raise errors.ActivityNotFound(activity_id=activity_id)
        require_project_coordinator(session, actor, activity.project_id)
        claims.check_hours(activity, hours)


def claim_recorded(session: Session, actor: Principal, claim: ClaimView) -> ClaimRecorded:
    activity = referenced(session, m.Activity, claim.activity_id)
    project = referenced(session, m.Project, activity.project_id)
    currency = referenced(session, m.Currency, project.currency_id)
    return ClaimRecorded(
        claim=claim,
        member_name=referenced(session, m.User, claim.member_id).display_name,
        by_name=_name_of(session, actor),
        activity_title=activity.title,
        currency=currency.code,
    )


def _statement(ctx: WriteContext, card_id: int) -> MemberStatement:
    session = ctx.session
    card = referenced(session, m.MemberCard, card_id)
    member = referenced(session, m.User, card.member_id)
    where = ledger.AccountFilter(kind=AccountKind.MEMBER.value, owner_id=member.id)
    codes = {currency.id: currency.code for currency in ledger.currencies_by_id(session).values()}
    wallets = [
        WalletStatement(
            account_id=account.id,
            currency=codes[account.currency_id],
            balance=account.balance,
            lines=_recent(session, account.id),
        )
        for account in ledger.list_accounts(session, where, None, 100)
    ]
    after = {"by": ctx.actor.user_id, "for": member.id, "card_id": card.id}
    audit_trail.record(ctx, "member.statement_shown", "user", member.id, None, after)
    return MemberStatement(
        member_id=member.id,
        member_name=member.display_name,
        by_id=ctx.actor.user_id,
        by_name=_name_of(session, ctx.actor),
        card_number=masked_card_number(card.number_ending),
        shown_at=clock.now(),
        wallets=wallets,
    )


def _recent(session: Session, account_id: int) -> list[StatementLine]:
    return statement_lines(
        session, ledger.statement_lines(session, account_id, None, RECENT_ENTRIES)
    )


def _name_of(session: Session, actor: Principal) -> str:
    user = session.get(m.User, actor.user_id)
    return actor.username if user is None else user.display_name
