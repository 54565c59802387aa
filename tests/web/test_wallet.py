"""The wallet tells the whole story: every entry says what it was in the reader's language (from
its kind and parameters, never a stored English sentence) and opens its receipt; older entries
come a page at a time; claims waiting for a coordinator show with their activity and amount; a
member sees their card's state and last digits. Rows written by earlier versions, with English
sentences in their memos, read in Dutch too, and the ledger still verifies."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import claim, new_activity, new_batch, new_project
from tests.support import Actor, Ledger
from tests.web.conftest import hidden_fields, signed_in
from torekes.audit import verification
from torekes.domain import errors
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.entries import Posting, TransactionKind, reversal_postings, transfer_postings
from torekes.domain.spending import PaymentChannel, RequestKind
from torekes.kit.unit_of_work import WriteContext, write
from torekes.ledger import accounts, journal
from torekes.ledger.read_models import AccountView
from torekes.redemption import payouts, redemptions
from torekes.settings import Settings
from torekes.spending import cards, payment_requests, payments, reversals
from torekes.spending.payment_requests import RequestCommand

SHOP_NAME = "Bakkerij Mertens"
EN = {"Accept-Language": "en"}
# What the system writes in English; a Dutch page shows none of them.
ENGLISH = (
    "Reward: ",
    "Payment to ",
    "Refund of payment",
    "Redemption ",
    "Reversal of transaction",
    "Funding",
    "Transfer<",
    "s wallet<",
    " budget<",
    "EUR ",
    ">Receipt<",
)


@dataclass
class Story:
    ledger: Ledger
    fatima: Actor
    bakker: Actor
    wallet: AccountView
    shop: AccountView
    budget_id: int
    ids: dict[str, int]


def _as(ledger: Ledger, actor: Actor, step: Callable[[WriteContext], Any]) -> Any:
    return write(ledger.db, actor.principal, step)


@pytest.fixture
def story(ledger: Ledger) -> Story:
    """Fatima's wallet with an entry of every kind: funding reaches the project's budget, a
    transfer and a reward come in, she pays the bakery, which refunds part of it; a transfer is
    reversed; the bakery redeems; and one claim waits for a coordinator."""
    ledger.currency("TRK", 2)
    admin = ledger.admin
    fatima = ledger.user(Role.MEMBER, "fatima")
    bakker = ledger.user(Role.SHOPKEEPER, "bakker")
    project = new_project(ledger, 0, name="Buurtmoestuin")
    funding = _as(
        ledger,
        admin,
        lambda ctx: journal.issue(ctx, journal.IssuanceCommand(project.budget_account_id, 100_000)),
    )
    wallet = ledger.account(AccountKind.MEMBER, fatima)
    shop = _as(
        ledger,
        admin,
        lambda ctx: accounts.open_account(
            ctx, accounts.AccountCommand("TRK", AccountKind.SHOP, SHOP_NAME, bakker.id)
        ),
    )
    moved = _as(
        ledger,
        admin,
        lambda ctx: journal.transfer(
            ctx, journal.TransferCommand(project.budget_account_id, wallet.id, 5_000)
        ),
    )
    weeding = new_activity(
        ledger, project.id, title="Wieden", requires_approval=False, reward_amount=2_500
    )
    rewarded = claim(ledger, fatima, new_batch(ledger, weeding.id).codes[0].code)
    sweeping = new_activity(ledger, project.id, title="Vegen", reward_amount=1_250)
    claim(ledger, fatima, new_batch(ledger, sweeping.id).codes[0].code)
    request = _as(
        ledger,
        bakker,
        lambda ctx: payment_requests.create_request(
            ctx, ledger.settings, RequestCommand(shop.id, amount=1_250, memo="Brood")
        ),
    )
    paid = _as(
        ledger,
        fatima,
        lambda ctx: payment_requests.pay(
            ctx, ledger.settings, request.code, payment_requests.PayCommand()
        ),
    )
    refunded = _as(
        ledger, bakker, lambda ctx: payments.refund(ctx, paid.transaction_id, 250, "Eén te veel")
    )
    mistaken = _as(
        ledger,
        admin,
        lambda ctx: journal.transfer(
            ctx, journal.TransferCommand(project.budget_account_id, wallet.id, 100)
        ),
    )
    undone = _as(ledger, admin, lambda ctx: reversals.reverse(ctx, mistaken.id, "Dubbel"))
    _as(
        ledger,
        bakker,
        lambda ctx: payouts.set_payout_details(ctx, shop.id, "BE71 0961 2345 6769", SHOP_NAME),
    )
    asked = _as(ledger, bakker, lambda ctx: redemptions.request(ctx, shop.id, 500, ""))
    _as(ledger, admin, lambda ctx: redemptions.approve(ctx, asked.id))
    _as(ledger, admin, lambda ctx: redemptions.pay(ctx, asked.id, "REF-1"))
    ids = {
        "funding": funding.id,
        "transfer": moved.id,
        "reward": rewarded.transaction_id,
        "payment": paid.transaction_id,
        "refund": refunded.transaction_id,
        "reversal": undone.id,
    }
    return Story(ledger, fatima, bakker, wallet, shop, project.budget_account_id, ids)


@pytest.fixture
def phone(settings: Settings, story: Story) -> Iterator[TestClient]:
    with signed_in(settings, "fatima") as client:
        yield client


def _page(client: TestClient, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.text)
    return response.text


def _no_english(page: str, where: str) -> None:
    for sentence in ENGLISH:
        assert sentence not in page, (where, sentence)


def test_the_wallet_tells_every_entry_in_dutch(phone: TestClient, story: Story) -> None:
    page = _page(phone, "/")
    ids = story.ids
    assert ">Portemonnee van Fatima<" in page
    assert "Beloning: Wieden" in page
    assert f"Betaling aan {SHOP_NAME}" in page
    assert f"Terugbetaling van betaling {ids['payment']} bij {SHOP_NAME}" in page
    assert "Terugdraaiing van transactie" in page
    assert ">Overschrijving<" in page
    # What people typed shows as they typed it: the request's text and the reasons.
    for typed in ("Brood", "Eén te veel", "Dubbel"):
        assert typed in page
    _no_english(page, "/")


def test_the_wallet_in_english(phone: TestClient, story: Story) -> None:
    page = _page(phone, "/", **EN)
    assert ">Fatima&#39;s wallet<" in page
    assert "Reward: Wieden" in page
    assert f"Payment to {SHOP_NAME}" in page
    assert f"Refund of payment {story.ids['payment']} at {SHOP_NAME}" in page
    assert "Waiting for approval" in page
    assert "Beloning" not in page


def test_a_claim_waiting_for_approval_shows_its_activity_and_amount(
    phone: TestClient, story: Story
) -> None:
    for headers, heading, amount in (
        ({}, "Wacht op goedkeuring", "12,50 TRK"),
        (EN, "Waiting for approval", "12.50 TRK"),
    ):
        page = _page(phone, "/", **headers)
        pending = page[page.index(heading) :]
        assert "Vegen" in pending
        assert amount in pending
        # The paid claim is an entry of the wallet, not waiting.
        assert "Wieden" not in pending


def test_every_line_opens_its_receipt(phone: TestClient, story: Story) -> None:
    page = _page(phone, "/")
    linked = {int(found) for found in re.findall(r'href="/receipts/(\d+)"', page)}
    own = {ids for kind, ids in story.ids.items() if kind != "funding"}
    assert own <= linked
    paid = _page(phone, f"/receipts/{story.ids['payment']}")
    assert f"Betaling aan {SHOP_NAME}" in paid
    assert ">-12,50<" in paid
    assert "Brood" in paid
    assert "Terugbetaald" in paid
    rewarded = _page(phone, f"/receipts/{story.ids['reward']}", **EN)
    assert "Reward: Wieden" in rewarded
    assert ">+25.00<" in rewarded
    assert re.search(r"<dd>\d{2}-\d{2}-\d{4} \d{2}:\d{2}</dd>", rewarded)


def test_no_one_else_opens_a_members_receipt_or_history(settings: Settings, story: Story) -> None:
    story.ledger.user(Role.MEMBER, "jonas")
    with signed_in(settings, "jonas") as other:
        for path in (f"/receipts/{story.ids['payment']}", f"/history/{story.wallet.id}"):
            refused = other.get(path)
            assert refused.status_code == 403, path
            assert "Wieden" not in refused.text
        assert other.get("/receipts/999999").status_code == 404


def test_no_english_system_sentence_on_a_dutch_page_for_any_kind(
    settings: Settings, story: Story
) -> None:
    ids = story.ids
    with signed_in(settings, "fatima") as fatima:
        pages = {"/": _page(fatima, "/")}
        for kind in ("transfer", "reward", "payment", "refund", "reversal"):
            pages[f"fatima {kind}"] = _page(fatima, f"/receipts/{ids[kind]}")
    with signed_in(settings, "bakker") as bakker:
        pages["shop wallet"] = _page(bakker, "/wallet")  # a shopkeeper lands on the till
        pages["shop payments"] = _page(bakker, "/shop")
        pages["shop receipt"] = _page(bakker, f"/receipts/{ids['payment']}")
    with signed_in(settings, story.ledger.admin.principal.username) as admin:
        for account_id in (story.wallet.id, story.shop.id, story.budget_id):
            pages[f"account {account_id}"] = _page(admin, f"/admin/accounts/{account_id}")
        pages["accounts"] = _page(admin, "/admin/accounts")
        pages["funding"] = _page(admin, f"/receipts/{ids['funding']}")
    for where, page in pages.items():
        _no_english(page, where)
    assert "Inwisseling 1: €\xa00,50" in pages["shop wallet"]  # 5,00 TRK at € 0,10
    assert "Financiering" in pages["funding"]
    assert "Budget van Buurtmoestuin" in pages[f"account {story.budget_id}"]
    assert "Portemonnee van Fatima" in pages["accounts"]


def test_rows_with_the_english_sentences_of_earlier_versions_read_in_dutch(
    phone: TestClient, story: Story
) -> None:
    """Earlier versions stored "Reward: <title>", "Payment to <shop>" and "Reversal of
    transaction <id>: <reason>" as memos; those rows stay as they are (the chain covers them)
    and read in the page's language."""
    ledger, admin = story.ledger, story.ledger.admin
    weeding_id = _reward_activity(ledger, story.ids["reward"])
    _as(
        ledger,
        admin,
        lambda ctx: journal.post_entry(
            ctx,
            transfer_postings(story.budget_id, story.wallet.id, 700),
            TransactionKind.REWARD,
            "Reward: Wieden",
            {"activity_id": weeding_id},
        ),
    )
    _as(
        ledger,
        story.fatima,
        lambda ctx: payments.record_payment(
            ctx,
            ledger.settings,
            payments.PaymentOrder(
                story.shop.id,
                story.wallet.id,
                300,
                PaymentChannel.REQUEST,
                f"Payment to {SHOP_NAME}",
            ),
        ),
    )
    moved = _as(
        ledger,
        admin,
        lambda ctx: journal.transfer(
            ctx, journal.TransferCommand(story.budget_id, story.wallet.id, 50)
        ),
    )
    _as(
        ledger,
        admin,
        lambda ctx: journal.post_entry(
            ctx,
            reversal_postings([Posting(story.budget_id, -50), Posting(story.wallet.id, 50)]),
            TransactionKind.REVERSAL,
            f"Reversal of transaction {moved.id}: Vergissing",
            {"reason": "Vergissing", "reversed_seq": moved.seq},
            reverses_id=moved.id,
        ),
    )
    page = _page(phone, "/")
    _no_english(page, "/")
    assert page.count("Beloning: Wieden") == 2
    assert page.count(f"Betaling aan {SHOP_NAME}") == 2
    assert f"Terugdraaiing van transactie {moved.id}" in page
    assert "Vergissing" in page
    assert verification.verify(ledger.db).ok


def _reward_activity(ledger: Ledger, transaction_id: int) -> int:
    with ledger.db.read_session() as session:
        from torekes.db import models as m

        row = session.get(m.Transaction, transaction_id)
        assert row is not None
        return int(row.meta["activity_id"])


def test_new_transactions_store_no_sentence_of_the_systems(story: Story) -> None:
    """The memo holds only what a person typed; kind and metadata hold the rest."""
    with story.ledger.db.read_session() as session:
        from torekes.db import models as m

        memos = {
            kind: session.get(m.Transaction, transaction_id).memo  # type: ignore[union-attr]
            for kind, transaction_id in story.ids.items()
        }
    assert memos == {
        "funding": "",
        "transfer": "",
        "reward": "",
        "payment": "Brood",
        "refund": "Eén te veel",
        "reversal": "Dubbel",
    }
    assert verification.verify(story.ledger.db).ok


def test_older_entries_come_a_page_at_a_time(settings: Settings, ledger: Ledger) -> None:
    ledger.currency()
    elif_ = ledger.user(Role.MEMBER, "elif")
    wallet = ledger.funded_member(elif_, 0)
    budget = ledger.budget(1_000)
    for amount in range(1, 41):  # 40 entries: 10 on the wallet, 25 on a page, 5 on the last
        ledger.transfer(budget.id, wallet.id, amount)
    with signed_in(settings, "elif") as phone:
        for headers, older in (({}, "Oudere boekingen"), (EN, "Older entries")):
            first = _page(phone, "/", **headers)
            assert first.count('href="/receipts/') == 10
            assert ">+40<" in first
            assert ">+31<" in first
            assert ">+30<" not in first
            link = re.search(rf'href="(/history/{wallet.id}\?cursor=\d+)">{older}<', first)
            assert link is not None
            second = _page(phone, link.group(1), **headers)
            assert second.count('href="/receipts/') == 25
            assert ">+30<" in second
            assert ">+6<" in second
            assert ">+31<" not in second
            last_link = re.search(r'href="(/history/\d+\?cursor=\d+)"', second)
            assert last_link is not None
            last = _page(phone, last_link.group(1), **headers)
            assert last.count('href="/receipts/') == 5
            assert ">+1<" in last
            assert "cursor=" not in last
        assert phone.get(f"/history/{wallet.id}?cursor=abc").status_code == 422


def test_a_member_sees_their_cards_state_and_last_digits(settings: Settings, story: Story) -> None:
    ledger = story.ledger
    card = _as(
        ledger,
        ledger.admin,
        lambda ctx: cards.issue_card(ctx, settings, story.fatima.id, "4826"),
    )
    ending = "••• ••• " + card.number[-4:]
    with signed_in(settings, "fatima") as phone:
        active = _page(phone, "/")
        assert ending in active
        assert card.number not in active
        assert '<dd class="card-active">actief</dd>' in active
        assert "<svg" in active
        for _ in range(5):
            with pytest.raises(errors.TorekesError):
                cards.charge(
                    ledger.db,
                    settings,
                    story.bakker.principal,
                    cards.ChargeCommand(story.shop.id, card.number, "0000", 100),
                    lambda step: write(ledger.db, story.bakker.principal, step),
                )
        locked = _page(phone, "/", **EN)
        assert '<dd class="card-locked">locked by wrong PINs</dd>' in locked
        assert "<svg" not in locked
        assert "unlock it" in locked
        _as(ledger, ledger.admin, lambda ctx: cards.block_card(ctx, settings, card.id, "lost"))
        blocked = _page(phone, "/")
        assert '<dd class="card-blocked">geblokkeerd</dd>' in blocked
        assert ending in blocked
        assert "<svg" not in blocked


def test_a_member_without_a_card_sees_no_card(phone: TestClient) -> None:
    assert 'aria-labelledby="my-card"' not in _page(phone, "/")


def test_switching_the_language_on_the_pay_page_keeps_the_typed_amount(
    phone: TestClient, story: Story
) -> None:
    standing = _as(
        story.ledger,
        story.bakker,
        lambda ctx: payment_requests.create_request(
            ctx, story.ledger.settings, RequestCommand(story.shop.id, RequestKind.STANDING)
        ),
    )
    path = f"/p/{standing.code}"
    page = _page(phone, path)
    assert 'form="pay" formaction="/language/en" formmethod="post"' in page
    typed = {**hidden_fields(page), "amount": "7.50", "next": path}
    switched = phone.post("/language/en", data=typed, follow_redirects=False)
    assert switched.status_code == 303
    location = switched.headers["location"]
    assert location == f"{path}?amount=7.50"  # neither the form's key nor its CSRF token
    english = _page(phone, location)
    assert '<html lang="en"' in english
    assert 'value="7.50"' in english
    # The English page pays what was typed, once; its receipt has an address of its own, where
    # switching back to Dutch leads.
    paid = phone.post(path, data={**hidden_fields(english), "amount": "7.50"})
    assert paid.status_code == 201, paid.text
    assert "Paid" in paid.text
    receipt = re.search(r'href="/language/nl\?next=(/receipts/\d+)"', paid.text)
    assert receipt is not None
    back = phone.get(f"/language/nl?next={receipt.group(1)}")
    assert back.status_code == 200
    assert f"Betaling aan {SHOP_NAME}" in back.text
    assert ">-7,50<" in back.text


def test_the_switch_never_carries_secrets_or_leaves_the_site(phone: TestClient) -> None:
    form = _page(phone, "/account")
    sent = {
        **hidden_fields(form),
        "current_password": "geheim",
        "new_pin": "1234",
        "key": "k" * 20,
        "name": "Fatima",
        "next": "//elsewhere.example/",
    }
    switched = phone.post("/language/en", data=sent, follow_redirects=False)
    assert switched.headers["location"] == "/?name=Fatima"
    without = phone.post("/language/en", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert without.status_code == 403
