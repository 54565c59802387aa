"""A demo community for a first look: currency TRK, a community garden project with three
activities and their codes, claims (some awaiting approval), members, two shops with a standing
QR each, payments by QR and by member card, a refund, and a few dozen transactions, with a printed
list of logins and the demo card's number and PIN (development only).

The square's poster code is left unclaimed, so that every demo member can claim it with the
printed link on the day the data is loaded (its limit is once a day); the members' fixed rewards
in the demo's history are for the repair café. ``present`` finds the demo community again in a
database that holds it, for ``torekes serve`` to print the card and the link."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.domain.cards import CardStatus
from torekes.domain.earning import CodeKind, RewardKind
from torekes.domain.periods import LimitPeriod
from torekes.domain.spending import RequestKind
from torekes.earning import activities, claim_codes, claims, projects
from torekes.identity import users
from torekes.identity.queries import count_users, user_by_username
from torekes.kit import clock, security
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import accounts, currencies, journal
from torekes.ledger.read_models import AccountView
from torekes.redemption import payouts, redemptions
from torekes.settings import Environment, Settings
from torekes.spending import cards, payment_requests, payments
from torekes.spending.read_models import CardView

DEMO_CONFIRM_ABOVE = 500


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class DemoCommunity:
    logins: list[DemoLogin]
    card_holder: str
    card_number: str
    card_pin: str
    claim_url: str  # the square's poster code: any member may claim it once a day


# Whom the demo acts as when it reads itself back (``present``): the system, reading everything.
READER = Principal(user_id=0, username="demo", role=Role.ADMIN)
GARDEN = "Community garden"
SQUARE = "Clean the square"

# Elif has no smartphone: she pays with a member card.
CARD_HOLDER = "elif"
DEMO_CARD_PIN = "2580"


MEMBERS = ("fatima", "jonas", "elif")
SHOPS = ("bakker", "fietser")
PEOPLE = [
    (Role.ADMIN, "admin", "Anna Admin"),
    (Role.AUDITOR, "auditor", "Oscar Auditor"),
    (Role.COORDINATOR, "coord", "Chris Coordinator"),
    (Role.MEMBER, "fatima", "Fatima"),
    (Role.MEMBER, "jonas", "Jonas"),
    (Role.MEMBER, "elif", "Elif"),
    (Role.SHOPKEEPER, "bakker", "Bakkerij Rabot"),
    (Role.SHOPKEEPER, "fietser", "Fietsatelier"),
]


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


def load(
    db: Database, settings: Settings, only_if_empty: bool = False, seed: int = 7
) -> DemoCommunity | None:
    """Load the demo community in one transaction; ``None`` when skipped because users exist."""
    with db.write_session() as session:
        if only_if_empty and count_users(session) > 0:
            return None
        operator = Principal(user_id=0, username="demo", role=Role.ADMIN)
        ctx = WriteContext(session, operator)
        people = {
            username: users.add_user(
                ctx, users.UserCommand(username, name, role, demo_password(username))
            )
            for role, username, name in PEOPLE
        }

        def acting(username: str) -> WriteContext:
            user = people[username]
            return WriteContext(session, Principal(user.id, username, Role(user.role)))

        admin = acting("admin")
        currencies.create_currency(
            admin, currencies.CurrencyCommand("TRK", "Torekes", 0, Decimal("0.10"))
        )
        # 500 Torekes is 20 hours' work and 50 euros: an amount typed above it is a typo more
        # often than a purchase, so the pages ask to confirm it.
        currencies.set_spending_limits(
            admin, "TRK", currencies.LimitsCommand(confirm_above=DEMO_CONFIRM_ABOVE)
        )

        def open_account(kind: AccountKind, name: str, owner: str) -> AccountView:
            command = accounts.AccountCommand("TRK", kind, name, people[owner].id)
            return accounts.open_account(admin, command)

        members = {
            u: open_account(AccountKind.MEMBER, f"{people[u].display_name}'s wallet", u)
            for u in MEMBERS
        }
        shops = [open_account(AccountKind.SHOP, people[u].display_name, u) for u in SHOPS]
        garden = projects.create_project(
            admin, projects.ProjectCommand(GARDEN, "TRK", [people["coord"].id])
        )
        journal.issue(
            admin, journal.IssuanceCommand(garden.budget_account_id, 20_000, "Garden 2026")
        )
        rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not a secret
        claim_url = _earning(acting, settings, garden.id, rng)
        for member in members.values():
            journal.transfer(
                admin,
                journal.TransferCommand(garden.budget_account_id, member.id, 100, "Welcome bonus"),
            )
        card = cards.issue_card(admin, settings, people[CARD_HOLDER].id, DEMO_CARD_PIN)
        _purchases(acting, settings, shops, card, rng)
        _redemptions(acting, shops)
        session.commit()
    logins = [DemoLogin(role.value, u, demo_password(u)) for role, u, _ in PEOPLE]
    return DemoCommunity(logins, CARD_HOLDER, card.number, DEMO_CARD_PIN, claim_url)


def _earning(
    acting: Callable[[str], WriteContext], settings: Settings, project_id: int, rng: random.Random
) -> str:
    """Garden work paid per hour after approval, a square to clean with a poster code (whose URL
    is returned, for a newcomer to try claiming: no member has claimed it yet today), and a
    repair café each member has already helped at."""
    coordinator = acting("coord")
    weeding = activities.create_activity(
        coordinator,
        project_id,
        activities.ActivityCommand(
            title="Garden work",
            description="Weeding, watering and harvesting in the community garden.",
            reward_kind=RewardKind.PER_HOUR,
            reward_amount=25,
            max_hours=Decimal(4),
            requires_approval=True,
        ),
    )
    cleaning = activities.create_activity(
        coordinator,
        project_id,
        activities.ActivityCommand(
            title=SQUARE,
            description="Litter picking on the square, Saturday mornings.",
            reward_kind=RewardKind.FIXED,
            reward_amount=50,
            period_limit=1,
            period=LimitPeriod.DAY,
        ),
    )
    repairs = activities.create_activity(
        coordinator,
        project_id,
        activities.ActivityCommand(
            title="Repair café",
            description="Mending bikes, clothes and lamps with neighbours.",
            reward_kind=RewardKind.FIXED,
            reward_amount=50,
            period_limit=1,
            period=LimitPeriod.WEEK,
        ),
    )
    sheet = claim_codes.create_batch(
        coordinator, settings, weeding.id, claim_codes.BatchCommand(CodeKind.SINGLE, count=12)
    )
    poster = claim_codes.create_batch(
        coordinator,
        settings,
        cleaning.id,
        claim_codes.BatchCommand(
            CodeKind.MULTI, max_uses=200, expires_at=clock.now() + timedelta(days=60)
        ),
    )
    pending = []
    for code in sheet.codes[:8]:
        hours = Decimal(rng.choice(["1", "1.5", "2", "3", "4"]))
        command = claims.ClaimCommand(code.code, hours)
        pending.append(claims.claim(acting(rng.choice(MEMBERS)), settings, command))
    for waiting in pending[:6]:
        claims.approve(coordinator, waiting.id)
    helped = claim_codes.create_batch(
        coordinator,
        settings,
        repairs.id,
        claim_codes.BatchCommand(
            CodeKind.MULTI, max_uses=50, expires_at=clock.now() + timedelta(days=60)
        ),
    )
    for member in MEMBERS:
        claims.claim(acting(member), settings, claims.ClaimCommand(helped.codes[0].code))
    return poster.codes[0].url


def _purchases(
    acting: Callable[[str], WriteContext],
    settings: Settings,
    shops: list[AccountView],
    card: CardView,
    rng: random.Random,
) -> None:
    """Members pay shops' QR requests from their phones, the card holder pays by card, each shop
    gets a standing QR for its till, and one payment is partly refunded."""
    keepers = dict(zip((shop.id for shop in shops), SHOPS, strict=True))
    paid: list[tuple[int, str]] = []
    for _ in range(14):
        shop = rng.choice(shops)
        keeper = acting(keepers[shop.id])
        amount = rng.randint(5, 40)
        payer = rng.choice(MEMBERS)
        if payer == CARD_HOLDER:
            charge = cards.ChargeCommand(shop.id, card.number, DEMO_CARD_PIN, amount, "Groceries")
            receipt = cards.pay_with_card(keeper, settings, charge, card.id)
        else:
            command = payment_requests.RequestCommand(shop.id, amount=amount, memo="Purchase")
            request = payment_requests.create_request(keeper, settings, command)
            receipt = payment_requests.pay(
                acting(payer), settings, request.code, payment_requests.PayCommand()
            )
        paid.append((receipt.transaction_id, keepers[shop.id]))
    for shop in shops:
        standing = payment_requests.RequestCommand(shop.id, RequestKind.STANDING, memo="Till")
        payment_requests.create_request(acting(keepers[shop.id]), settings, standing)
    transaction_id, keeper_name = paid[0]
    payments.refund(acting(keeper_name), transaction_id, 5, "Returned one item")


# Example IBANs with valid check digits; the demo pays nobody.
DEMO_IBANS = ("BE71 0961 2345 6769", "BE68 5390 0754 7034")


def _redemptions(acting: Callable[[str], WriteContext], shops: list[AccountView]) -> None:
    """Both shops give the IBAN to pay them at; the first redeems part of its takings, approved
    and paid, the second has just asked and waits for an administrator."""
    admin = acting("admin")
    for shop, keeper, iban in zip(shops, SHOPS, DEMO_IBANS, strict=True):
        payouts.set_payout_details(acting(keeper), shop.id, iban, shop.name)
    first = redemptions.request(acting(SHOPS[0]), shops[0].id, 20, "Takings of the month")
    redemptions.approve(admin, first.id)
    redemptions.pay(admin, first.id, "Demo transfer 1")
    redemptions.request(acting(SHOPS[1]), shops[1].id, 10, "Takings of the month")


@dataclass(frozen=True, slots=True)
class DemoToTry:
    """What a newcomer needs to try the demo that is loaded: the card to pay with, the link to
    claim with."""

    card_holder: str
    card_number: str
    card_pin: str
    claim_url: str


def present(db: Database, settings: Settings) -> DemoToTry | None:
    """The demo's card and claim link when this database holds the demo community and the
    install is not in production; ``None`` otherwise. The demo is recognised by its card holder
    signing in with the demo's published password, which no real member has."""
    if settings.environment is Environment.PRODUCTION:
        return None
    with db.read_session() as session:
        holder = user_by_username(session, CARD_HOLDER)
        if holder is None or not holder.is_active:
            return None
        holder_id, password_hash = holder.id, holder.password_hash
    if not security.verify_password(password_hash, demo_password(CARD_HOLDER)):
        return None
    found = cards.list_cards(db, settings, READER, holder_id, CardStatus.ACTIVE, None, 1).items
    claim_url = _square_poster_url(db, settings)
    if not found or claim_url is None:
        return None
    return DemoToTry(CARD_HOLDER, found[0].number, DEMO_CARD_PIN, claim_url)


def _square_poster_url(db: Database, settings: Settings) -> str | None:
    for project in projects.list_projects(db, READER):
        if project.name != GARDEN:
            continue
        for activity in activities.list_activities(db, READER, project.id):
            if activity.title != SQUARE:
                continue
            for batch in claim_codes.list_batches(db, READER, activity.id):
                codes = claim_codes.get_batch(db, settings, READER, batch.id).codes
                if codes:
                    return codes[0].url
    return None
