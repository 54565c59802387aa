"""The shopkeeper's pages: charging a member card (number or scanned URL, then the member's PIN),
today's payments with refunds, and redeeming tokens for euros. Only shopkeepers see them, only for
their own shops; refusals are pages in plain words that change nothing, and a double tap acts once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.apps import app_for
from tests.support import Actor, Ledger
from tests.web.conftest import BASE, csrf_of, form_fields, new_form, post_forms, signed_in
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit import clock
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import AccountView
from torekes.redemption import payouts
from torekes.settings import Settings
from torekes.spending import cards
from torekes.spending.read_models import CardView

PIN = "2468"
UNKNOWN = "000 000 0000"  # a number whose check digit fits, never drawn
IBAN = "NL91 ABNA 0417 1643 00"


@dataclass
class Counter:
    keeper: Actor
    shop: AccountView
    member: Actor
    wallet: AccountView
    card: CardView


@pytest.fixture
def counter(ledger: Ledger, settings: Settings) -> Counter:
    ledger.currency("TRK")
    keeper = ledger.user(Role.SHOPKEEPER, "bakker")
    shop = ledger.account(AccountKind.SHOP, keeper, "TRK")
    member = ledger.user(Role.MEMBER, "fatima")
    wallet = ledger.funded_member(member, 100, "TRK")
    card = write(
        ledger.db,
        ledger.admin.principal,
        lambda ctx: cards.issue_card(ctx, settings, member.id, PIN),
    )
    return Counter(keeper, shop, member, wallet, card)


@pytest.fixture
def till(settings: Settings, counter: Counter) -> Iterator[TestClient]:
    with signed_in(settings, "bakker") as client:
        yield client


def _balance(ledger: Ledger, account_id: int) -> int:
    with ledger.db.read_session() as session:
        account = session.get(m.Account, account_id)
        assert account is not None
        return account.balance


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, page
    return found.group(1)


def _pin_page(
    till: TestClient, counter: Counter, amount: str = "30", card: str | None = None
) -> httpx2.Response:
    form = till.get("/shop/card")
    assert form.status_code == 200, form.text
    return till.post(
        "/shop/card",
        data={
            **new_form(form.text),
            "shop": str(counter.shop.id),
            "amount": amount,
            "memo": "Brood",
            "card": counter.card.number if card is None else card,
        },
    )


def _pay(till: TestClient, pin_page: str, pin: str = PIN, **changed: str) -> httpx2.Response:
    fields = {
        name: _field(pin_page, name) for name in ("csrf_token", "key", "shop", "card", "amount")
    }
    fields["memo"] = _field(pin_page, "memo")
    return till.post("/shop/card/pay", data={**fields, "pin": pin, **changed})


def _charged(till: TestClient, counter: Counter, amount: str = "30") -> httpx2.Response:
    paid = _pay(till, _pin_page(till, counter, amount).text)
    assert paid.status_code == 200, paid.text
    assert 'id="handover"' in paid.text
    return paid


# --- charging a card ---------------------------------------------------------------------------


def test_a_card_is_charged_with_its_number_and_the_members_pin(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    form = till.get("/shop/card")
    assert 'id="card"' in form.text
    assert 'id="scan-card" hidden' in form.text
    assert "/static/card-scan.js" in form.text
    pin_page = _pin_page(till, counter)
    assert pin_page.status_code == 200
    assert "Geef het toestel aan het lid" in pin_page.text
    assert 'inputmode="numeric"' in pin_page.text
    assert 'type="password"' in pin_page.text
    assert 'autocomplete="off"' in pin_page.text
    assert "Fatima" not in pin_page.text  # the card is named only with its PIN
    paid = _pay(till, pin_page.text)
    # The hand-over view, turned towards the member: their new balance, nothing of the shop's.
    assert paid.status_code == 200, paid.text
    assert paid.url.path.startswith("/shop/card/paid/")
    assert 'id="handover"' in paid.text
    assert "Fatima" in paid.text
    assert re.search(r'id="new-balance">\s*<p class="balance"><span class="amount">70', paid.text)
    assert f"••• ••• {counter.card.number[-4:]}" in paid.text
    assert counter.card.number not in paid.text  # a receipt shows only the last four digits
    assert 'aria-label="Menu"' not in paid.text
    assert "/logout" not in paid.text
    assert counter.shop.name in paid.text  # whom the member paid, but not the shop's balance
    assert "Betaald 30 TRK aan" in paid.text
    assert "Saldo van de winkel" not in paid.text  # nothing of the shop's own
    slip = till.get(f"{paid.url.path}/slip")
    assert slip.status_code == 200
    assert "@media print" in till.get("/static/slip.css").text
    for shown in (counter.shop.name, "Fatima", 'id="slip-balance">70'):
        assert shown in slip.text
    assert _balance(ledger, counter.wallet.id) == 70
    assert _balance(ledger, counter.shop.id) == 30


def test_the_pin_page_handed_to_the_member_shows_nothing_of_the_shops_but_amount_and_name(
    till: TestClient, counter: Counter
) -> None:
    """Like the hand-over view: no menu (no list of today's customers), no sign-out."""
    first = _pin_page(till, counter).text
    wrong = _pay(till, first, pin="1111").text
    for page in (first, wrong):
        assert 'id="pin-form"' in page
        assert counter.shop.name in page
        assert re.search(r'<span class="amount">30', page)
        hrefs = re.findall(r'href="([^"]*)"', page)
        assert not [href for href in hrefs if href in ("/", "/shop", "/wallet", "/logout")]
        assert not [href for href in hrefs if href.startswith(("/till", "/account", "/language"))]
        assert [href for href in hrefs if href == "/shop/card"]  # cancel
        assert [action for action, _ in post_forms(page)] == ["/shop/card/pay"]
        assert 'aria-label="Menu"' not in page


def test_the_hand_over_view_is_only_for_the_shopkeeper_who_took_the_payment(
    till: TestClient, ledger: Ledger, counter: Counter, settings: Settings
) -> None:
    paid = _charged(till, counter)
    other_keeper = ledger.user(Role.SHOPKEEPER, "slager")
    ledger.account(AccountKind.SHOP, other_keeper, "TRK")
    for username in ("slager", "fatima"):
        with signed_in(settings, username) as other:
            for path in (paid.url.path, f"{paid.url.path}/slip"):
                refused = other.get(path)
                assert refused.status_code in (403, 404), (username, path)
                assert "Fatima" not in refused.text
    unknown = till.get("/shop/card/paid/" + "x" * 32)
    assert unknown.status_code == 404
    assert till.get(paid.url.path).status_code == 200  # the keeper may look again


def test_the_scanned_qr_url_names_the_card_too(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    pin_page = _pin_page(till, counter, "12", card=counter.card.url)
    paid = _pay(till, pin_page.text)
    assert paid.status_code == 200, paid.text
    assert _balance(ledger, counter.shop.id) == 12


def test_a_wrong_pin_shows_the_tries_left_and_the_member_tries_again(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    pin_page = _pin_page(till, counter)
    wrong = _pay(till, pin_page.text, pin="1111")
    assert wrong.status_code == 403
    assert 'id="pin-problem"' in wrong.text
    assert "Je mag nog 4 keer proberen" in wrong.text
    assert _field(wrong.text, "key") != _field(pin_page.text, "key")  # the next PIN, a new try
    assert _balance(ledger, counter.wallet.id) == 100
    paid = _pay(till, wrong.text)
    assert paid.status_code == 200, paid.text
    assert _balance(ledger, counter.wallet.id) == 70


def test_a_double_tap_on_a_wrong_pin_counts_it_once(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    pin_page = _pin_page(till, counter).text
    first = _pay(till, pin_page, pin="1111")
    again = _pay(till, pin_page, pin="1111")
    assert first.status_code == again.status_code == 403
    assert "Je mag nog 4 keer proberen" in first.text
    assert "Je mag nog 4 keer proberen" in again.text
    with ledger.db.read_session() as session:
        card = session.get(m.MemberCard, counter.card.id)
        assert card is not None
        assert card.pin_failures == 1
    assert _pay(till, again.text).status_code == 200


def test_the_same_form_with_another_pin_is_never_told_the_first_pins_refusal(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    """A form sent again from the browser's cache with the right PIN, after a wrong one: not
    "wrong PIN" again, but a refusal of the reused form, and nothing counted or paid."""
    pin_page = _pin_page(till, counter).text
    assert _pay(till, pin_page, pin="1111").status_code == 403
    other_pin = _pay(till, pin_page)
    assert other_pin.status_code == 409
    assert "Je mag nog" not in other_pin.text
    with ledger.db.read_session() as session:
        card = session.get(m.MemberCard, counter.card.id)
        assert card is not None
        assert card.pin_failures == 1
    assert _balance(ledger, counter.wallet.id) == 100


def test_a_double_tap_charges_once_and_shows_the_same_receipt(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    pin_page = _pin_page(till, counter).text
    first = _pay(till, pin_page)
    second = _pay(till, pin_page)
    assert first.status_code == second.status_code == 200
    assert first.url == second.url  # the same payment's hand-over view
    assert first.text == second.text
    assert _balance(ledger, counter.wallet.id) == 70
    with ledger.db.read_session() as session:
        assert session.query(m.Payment).count() == 1


def test_the_back_button_after_paying_shows_the_same_payment_and_charges_once(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    """The card form sent again (the back button after paying) draws the PIN page with the card
    form's own key: the PIN typed again finds the payment made and shows its hand-over view."""
    form = till.get("/shop/card").text
    card_form = {
        **form_fields(form, "/shop/card"),
        "shop": str(counter.shop.id),
        "amount": "30",
        "memo": "Brood",
        "card": counter.card.number,
    }
    assert card_form["key"]
    pin_page = till.post("/shop/card", data=card_form)
    assert _field(pin_page.text, "key") == card_form["key"]
    paid = _pay(till, pin_page.text)
    assert paid.status_code == 200, paid.text
    again = till.post("/shop/card", data=card_form)  # the back button resends the card form
    assert again.status_code == 200, again.text
    repaid = _pay(till, again.text)
    assert repaid.status_code == 200, repaid.text
    assert repaid.url == paid.url
    assert repaid.text == paid.text
    assert _balance(ledger, counter.wallet.id) == 70
    with ledger.db.read_session() as session:
        assert session.query(m.Payment).count() == 1


def test_a_card_form_without_its_key_is_refused(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    form = till.get("/shop/card").text
    sent = {
        "csrf_token": csrf_of(form),
        "shop": str(counter.shop.id),
        "amount": "30",
        "card": counter.card.number,
    }
    refused = till.post("/shop/card", data=sent)
    assert refused.status_code == 422, refused.text
    assert "text/html" in refused.headers["content-type"]
    assert 'id="pin-form"' not in refused.text


def test_two_taps_at_the_same_moment_charge_once(
    settings: Settings, ledger: Ledger, counter: Counter
) -> None:
    with signed_in(settings, "bakker") as first, signed_in(settings, "bakker") as second:
        pin_page = _pin_page(first, counter).text
        other_token = csrf_of(second.get("/shop/card").text)
        start = threading.Barrier(2)
        answers: dict[str, httpx2.Response] = {}

        def tap(name: str, browser: TestClient, token: str) -> None:
            start.wait()
            answers[name] = _pay(browser, pin_page, csrf_token=token)

        taps = [
            threading.Thread(target=tap, args=("first", first, csrf_of(pin_page))),
            threading.Thread(target=tap, args=("second", second, other_token)),
        ]
        for thread in taps:
            thread.start()
        for thread in taps:
            thread.join()
    assert [answer.status_code for answer in answers.values()] == [200, 200]
    assert answers["first"].url == answers["second"].url
    assert _balance(ledger, counter.wallet.id) == 70
    with ledger.db.read_session() as session:
        assert session.query(m.Payment).count() == 1


def test_five_wrong_pins_lock_the_card_and_nothing_is_paid(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    pin_page = _pin_page(till, counter).text
    for left in (4, 3, 2, 1):
        wrong = _pay(till, pin_page, pin="0000")
        assert wrong.status_code == 403
        assert f"Je mag nog {left} keer proberen" in wrong.text
        pin_page = wrong.text  # the page asking again, with a new key for the new try
    locked = _pay(till, pin_page, pin="0000")
    assert locked.status_code == 409
    assert "vergrendeld" in locked.text
    again = _pay(till, _pin_page(till, counter).text)
    assert again.status_code == 409
    assert "vergrendeld" in again.text
    assert _balance(ledger, counter.wallet.id) == 100


def test_a_blocked_card_is_refused_in_plain_words(
    till: TestClient, ledger: Ledger, counter: Counter, settings: Settings
) -> None:
    admin = ledger.admin.principal
    write(ledger.db, admin, lambda ctx: cards.block_card(ctx, settings, counter.card.id, "lost"))
    refused = _pay(till, _pin_page(till, counter).text)
    assert refused.status_code == 409
    assert "geblokkeerd" in refused.text
    assert _balance(ledger, counter.wallet.id) == 100


@pytest.mark.parametrize(
    ("amount", "card", "status", "words"),
    [
        ("", None, 422, "Typ het bedrag"),
        ("abc", None, 422, "Typ alleen cijfers, zoals 1.250."),
        ("-5", None, 422, "Typ het getal zonder + of -."),
        ("30", "", 404, "niet gekend"),
        ("30", "1234567890", 422, "verkeerd getypt"),
        ("30", "123 456 789", 422, "verkeerd getypt"),
    ],
)
def test_bad_input_on_the_card_form_is_a_page_and_changes_nothing(
    till: TestClient,
    ledger: Ledger,
    counter: Counter,
    amount: str,
    card: str | None,
    status: int,
    words: str,
) -> None:
    refused = _pin_page(till, counter, amount, card)
    assert refused.status_code == status
    assert words in refused.text
    assert _balance(ledger, counter.wallet.id) == 100


def test_an_unknown_card_and_too_little_money_are_plain_pages(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    unknown = _pay(till, _pin_page(till, counter, card=UNKNOWN).text)
    assert unknown.status_code == 404
    assert "Deze kaart is niet gekend" in unknown.text
    poor = _pay(till, _pin_page(till, counter, "500").text)
    assert poor.status_code == 409
    assert "niet genoeg" in poor.text
    assert _balance(ledger, counter.wallet.id) == 100


def test_too_many_wrong_pins_at_one_shop_wait(
    settings: Settings, ledger: Ledger, counter: Counter
) -> None:
    tight = settings.model_copy(update={"pin_shop_max_failures": 2})
    with signed_in(tight, "bakker") as till:
        for _ in range(2):
            assert _pay(till, _pin_page(till, counter, card=UNKNOWN).text).status_code == 404
        waiting = _pay(till, _pin_page(till, counter).text)
    assert waiting.status_code == 429
    assert "Te veel" in waiting.text
    assert _balance(ledger, counter.wallet.id) == 100


# --- payments today and refunds ----------------------------------------------------------------


def test_todays_payments_show_who_paid_how_and_the_day_total(
    till: TestClient, counter: Counter
) -> None:
    _charged(till, counter, "30")
    _charged(till, counter, "12")
    page = till.get("/shop")
    assert page.status_code == 200
    assert "Fatima" in page.text
    assert re.findall(r'<td class="num">(\d+)', page.text) == ["12", "30"]  # newest first
    assert "Kaart" in page.text
    assert re.search(r'class="day-total">42 TRK', page.text)
    assert page.text.count('action="/shop/payments/') == 2


def test_yesterdays_payments_are_not_today(
    till: TestClient, counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    _charged(till, counter)
    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    page = till.get("/shop")
    assert "Nog geen betalingen vandaag" in page.text
    assert re.search(r'class="day-total">0 TRK', page.text)


def _refund(till: TestClient, page: str, transaction_id: int, amount: str = "") -> httpx2.Response:
    form = re.search(
        rf'action="/shop/payments/{transaction_id}/refund".*?name="key" value="([^"]+)"',
        page,
        re.DOTALL,
    )
    assert form is not None, page
    data = {**new_form(page), "key": form.group(1), "amount": amount}
    return till.post(f"/shop/payments/{transaction_id}/refund", data=data)


def _payment_id(ledger: Ledger) -> int:
    with ledger.db.read_session() as session:
        payment = session.query(m.Payment).one()
        return payment.transaction_id


def test_a_refund_in_part_then_the_rest_and_a_double_tap_refunds_once(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    _charged(till, counter, "30")
    transaction_id = _payment_id(ledger)
    page = till.get("/shop").text
    first = _refund(till, page, transaction_id, "10")
    again = _refund(till, page, transaction_id, "10")
    assert first.status_code == again.status_code == 201
    assert "Terugbetaald" in first.text
    assert _balance(ledger, counter.wallet.id) == 80
    rest = _refund(till, till.get("/shop").text, transaction_id)
    assert rest.status_code == 201
    assert _balance(ledger, counter.wallet.id) == 100
    after = till.get("/shop").text
    assert "Volledig terugbetaald" in after
    assert f'action="/shop/payments/{transaction_id}/refund"' not in after
    assert re.search(r'class="day-total">0 TRK', after)


def test_a_refund_beyond_the_payment_is_refused(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    _charged(till, counter, "30")
    transaction_id = _payment_id(ledger)
    for amount, status in (("31", 409), ("nul", 422)):
        refused = _refund(till, till.get("/shop").text, transaction_id, amount)
        assert refused.status_code == status
    assert _balance(ledger, counter.wallet.id) == 70


# --- redeeming ---------------------------------------------------------------------------------


def _redeem_form(page: str, shop_id: int) -> dict[str, str]:
    form = re.search(
        rf'action="/shop/redeem" .*?name="key" value="([^"]+)".*?name="account" value="{shop_id}"',
        page,
        re.DOTALL,
    )
    assert form is not None, page
    return {**new_form(page), "key": form.group(1), "account": str(shop_id)}


def test_without_a_bank_account_the_shop_is_told_plainly_and_cannot_redeem(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    _charged(till, counter, "30")
    page = till.get("/shop/redeem")
    assert page.status_code == 200
    assert "Er is nog geen bankrekening" in page.text
    assert 'action="/shop/redeem" ' not in page.text
    refused = till.post(
        "/shop/redeem",
        data={
            **new_form(page.text),
            "key": "k" * 20,
            "account": str(counter.shop.id),
            "amount": "10",
        },
    )
    assert refused.status_code == 409
    assert "bankrekening" in refused.text
    with ledger.db.read_session() as session:
        assert session.query(m.Redemption).count() == 0


def test_the_keeper_sets_the_bank_account_and_asks_to_redeem_once(
    till: TestClient, ledger: Ledger, counter: Counter
) -> None:
    _charged(till, counter, "30")
    page = till.get("/shop/redeem").text
    bad = till.post(
        "/shop/redeem/payout",
        data={
            **new_form(page),
            "account": str(counter.shop.id),
            "iban": "NL00 0000",
            "payout_name": "Bakker",
        },
    )
    assert bad.status_code == 422
    nameless = till.post(
        "/shop/redeem/payout",
        data={
            **new_form(page),
            "account": str(counter.shop.id),
            "iban": IBAN,
            "payout_name": "  ",
        },
    )
    assert nameless.status_code == 422
    saved = till.post(
        "/shop/redeem/payout",
        data={
            **new_form(page),
            "account": str(counter.shop.id),
            "iban": IBAN,
            "payout_name": "Bakkerij De Toren",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = till.get("/shop/redeem").text
    assert "NL91ABNA0417164300" in page
    assert "€\u00a03,00" in page  # 30 tokens at 0.10
    form = _redeem_form(page, counter.shop.id)
    too_much = till.post("/shop/redeem", data={**form, "amount": "31"})
    assert too_much.status_code == 409
    # The refusal is kept against the form's key: the same form sent again is refused again,
    # and the form drawn again with the refusal (the amount typed kept) carries a fresh key.
    refused_again = till.post("/shop/redeem", data={**form, "amount": "31"})
    assert refused_again.status_code == 409
    for refused in (too_much, refused_again):
        assert "Zoveel Torekes heeft de winkel niet beschikbaar." in refused.text
        assert re.search(r'name="amount"[^>]* value="31"', refused.text)
    form = _redeem_form(too_much.text, counter.shop.id)
    first = till.post("/shop/redeem", data={**form, "amount": "20"})
    again = till.post("/shop/redeem", data={**form, "amount": "20"})
    assert first.status_code == again.status_code == 201
    assert "Inwisseling aangevraagd" in first.text
    with ledger.db.read_session() as session:
        assert session.query(m.Redemption).count() == 1
        account = session.get(m.Account, counter.shop.id)
        assert account is not None
        assert account.held == 20
    listed = till.get("/shop/redeem").text
    assert "Aangevraagd" in listed
    assert "ongeveer €\u00a02,00" in listed


# --- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/shop", "/shop/card", "/shop/redeem"])
@pytest.mark.parametrize("role", [Role.MEMBER, Role.COORDINATOR, Role.ADMIN])
def test_other_roles_are_refused(
    settings: Settings, ledger: Ledger, counter: Counter, path: str, role: Role
) -> None:
    ledger.user(role, f"someone-{role.value}")
    with signed_in(settings, f"someone-{role.value}") as browser:
        refused = browser.get(path)
    assert refused.status_code == 403
    assert "Met jouw account kan dat niet" in refused.text


@pytest.mark.parametrize("path", ["/shop", "/shop/card", "/shop/redeem"])
def test_signed_out_visitors_sign_in_first(settings: Settings, path: str) -> None:
    with TestClient(app_for(settings), base_url=BASE) as browser:
        sent = browser.get(path, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/login?next={path}"


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/shop/card", "/shop/card"),
        ("/shop/card/pay", "/shop/card"),
        ("/shop/payments/1/refund", "/shop"),
        ("/shop/redeem", "/shop/redeem"),
        ("/shop/redeem/payout", "/shop/redeem"),
    ],
)
def test_a_signed_out_form_signs_in_first_and_comes_back_to_the_page(
    settings: Settings, path: str, back: str
) -> None:
    with TestClient(app_for(settings), base_url=BASE) as browser:
        token = csrf_of(browser.get("/login").text)
        sent = browser.post(
            path, data={"csrf_token": token, "shop": "1", "account": "1"}, follow_redirects=False
        )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/login?next={back}"


def test_a_member_cannot_charge_a_card(
    settings: Settings, ledger: Ledger, counter: Counter
) -> None:
    with signed_in(settings, "fatima") as phone:
        token = csrf_of(phone.get("/").text)
        refused = phone.post(
            "/shop/card/pay",
            data={
                "csrf_token": token,
                "shop": str(counter.shop.id),
                "card": counter.card.number,
                "amount": "5",
                "pin": PIN,
                "key": "k" * 20,
            },
        )
    assert refused.status_code == 403
    assert _balance(ledger, counter.wallet.id) == 100


def test_a_keeper_never_acts_on_another_keepers_shop(
    settings: Settings, ledger: Ledger, counter: Counter, till: TestClient
) -> None:
    _charged(till, counter, "30")
    transaction_id = _payment_id(ledger)
    other = ledger.user(Role.SHOPKEEPER, "slager")
    ledger.account(AccountKind.SHOP, other, "TRK")
    admin = ledger.admin.principal
    write(
        ledger.db,
        admin,
        lambda ctx: payouts.set_payout_details(ctx, counter.shop.id, IBAN, "Bakkerij"),
    )
    with signed_in(settings, "slager") as thief:
        own = thief.get("/shop").text
        assert "Fatima" not in own
        assert counter.shop.name not in thief.get("/shop/redeem").text
        token = csrf_of(own)
        shop = str(counter.shop.id)
        attempts = [
            (
                "/shop/card",
                {"shop": shop, "card": counter.card.number, "amount": "5", "key": "k" * 19},
            ),
            (
                "/shop/card/pay",
                {
                    "shop": shop,
                    "card": counter.card.number,
                    "amount": "5",
                    "pin": PIN,
                    "key": "k" * 20,
                },
            ),
            (f"/shop/payments/{transaction_id}/refund", {"key": "k" * 21, "amount": "5"}),
            ("/shop/redeem", {"account": shop, "key": "k" * 22, "amount": "5"}),
            (
                "/shop/redeem/payout",
                {"account": shop, "key": "k" * 23, "iban": IBAN, "payout_name": "Slager"},
            ),
        ]
        for path, data in attempts:
            refused = thief.post(path, data={"csrf_token": token, **data})
            assert refused.status_code == 403, path
            assert "Dat is niet jouw rekening" in refused.text, path
    assert _balance(ledger, counter.wallet.id) == 70
    assert _balance(ledger, counter.shop.id) == 30
    with ledger.db.read_session() as session:
        assert session.query(m.Redemption).count() == 0
        assert session.query(m.Refund).count() == 0
        account = session.get(m.Account, counter.shop.id)
        assert account is not None
        assert account.payout_name == "Bakkerij"


@pytest.mark.parametrize(
    "path",
    [
        "/shop/card",
        "/shop/card/pay",
        "/shop/payments/1/refund",
        "/shop/redeem",
        "/shop/redeem/payout",
    ],
)
def test_every_form_needs_the_pages_csrf_token(
    till: TestClient, ledger: Ledger, counter: Counter, path: str
) -> None:
    data = {
        "csrf_token": "0" * 64,
        "shop": str(counter.shop.id),
        "account": str(counter.shop.id),
        "card": counter.card.number,
        "amount": "5",
        "pin": PIN,
        "key": "k" * 20,
        "iban": IBAN,
        "payout_name": "Bakker",
    }
    refused = till.post(path, data=data)
    assert refused.status_code == 403
    assert _balance(ledger, counter.wallet.id) == 100
    with ledger.db.read_session() as session:
        account = session.get(m.Account, counter.shop.id)
        assert account is not None
        assert account.iban is None


def test_the_pages_in_english(till: TestClient, ledger: Ledger, counter: Counter) -> None:
    english = {"Accept-Language": "en"}
    assert "Scan the card" in till.get("/shop/card", headers=english).text
    form = till.get("/shop/card", headers=english)
    pin_page = till.post(
        "/shop/card",
        headers=english,
        data={
            **new_form(form.text),
            "shop": str(counter.shop.id),
            "amount": "30",
            "card": counter.card.number,
        },
    )
    assert "Hand the device to the member" in pin_page.text
    wrong = _pay(till, pin_page.text, pin="9999")
    assert (
        "Je mag nog 4 keer proberen" in wrong.text
    )  # the cookie-less language follows the header only
    paid = till.post(
        "/shop/card/pay",
        headers=english,
        data={
            **{name: _field(wrong.text, name) for name in ("csrf_token", "key", "shop")},
            "card": counter.card.number,
            "amount": "30",
            "memo": "",
            "pin": PIN,
        },
    )
    assert paid.status_code == 200, paid.text
    assert "Your new balance" in paid.text
    assert "Payments today" in till.get("/shop", headers=english).text
    assert "Redeem tokens for euros" in till.get("/shop/redeem", headers=english).text
