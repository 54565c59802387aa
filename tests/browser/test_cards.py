"""A member without a smartphone: at the neighbourhood counter she signs in with her card's
number and PIN (a wrong PIN first, then the right one) and her wallet shows the card's QR code;
at a shop, the shopkeeper charges her card and she types her PIN (wrong, then right); in Dutch
and in English."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.api import Api
from tests.browser.conftest import ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language, catalogue, read_qr
from torekes.operations.demo import CARD_HOLDER, DEMO_CARD_PIN

WRONG_PIN = "0000"
TRIES = 5  # wrong PINs in a row that lock a card
SHOPKEEPER = "bakker"
CARD_HOLDER_NAME = "Elif"
AMOUNT = 7
MEMO = "Bread"


def card_url(member: Api) -> str:
    (card,) = member.get("/cards", status="active")["items"]
    url: str = card["url"]
    return url


def after_a_wrong_pin(locale: str) -> str:
    """What the page says after the first wrong PIN."""
    left = TRIES - 1
    return catalogue(locale).ngettext(
        "Wrong PIN. You may try %(num)d more time.",
        "Wrong PIN. You may try %(num)d more times.",
        left,
    ) % {"num": left}


def test_a_member_signs_in_with_her_card_and_pin_and_sees_the_card_qr(
    locale: str,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    api: ApiAs,
    shoot: Shoot,
    tmp_path: Path,
) -> None:
    number = live_server.card_number
    phone = phones.open(locale)
    phone.goto("/")
    expect(phone).to_have_url(live_server.url("/login?next=/"))
    assert_language(phone, locale)
    phone.get_by_role("link", name=say("No smartphone? Sign in with your member card")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Sign in with a card"))

    phone.get_by_label(say("Card number"), exact=True).fill(number)
    phone.get_by_label(say("PIN"), exact=True).fill(WRONG_PIN)
    phone.get_by_role("button", name=say("Sign in"), exact=True).click()
    # At the counter a wrong PIN says nothing about the card (not even the tries left).
    wrong = say("The card number or the PIN is not right. Check both and try again.")
    expect(phone.get_by_role("alert")).to_have_text(wrong)
    shoot(phone, "wrong-pin")

    expect(phone.get_by_label(say("Card number"), exact=True)).to_have_value(number)
    phone.get_by_label(say("PIN"), exact=True).fill(DEMO_CARD_PIN)
    phone.get_by_role("button", name=say("Sign in"), exact=True).click()
    expect(phone).to_have_url(live_server.url("/"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("My wallet"))
    expect(phone.get_by_role("heading", name=say("My card"))).to_be_visible()
    # The wallet names the card by its last four digits only.
    ending = "••• ••• " + number.replace(" ", "")[-4:]
    qr = phone.get_by_role("img", name=say("QR code of card %(number)s") % {"number": ending})
    assert read_qr(qr, tmp_path) == card_url(api(CARD_HOLDER))
    shoot(phone)


@pytest.mark.parametrize(
    ("locale", "scanned"),
    [pytest.param("nl-BE", False, id="nl-BE-typed"), pytest.param("en", True, id="en-scanned")],
)
def test_a_shop_charges_a_card_after_a_wrong_then_the_right_pin(
    locale: str,
    scanned: bool,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    api: ApiAs,
    shoot: Shoot,
) -> None:
    """The card's number is typed, or (in English) what its QR code says, as a scan fills in."""
    holder = api(CARD_HOLDER)
    before = holder.available()
    card = card_url(holder) if scanned else live_server.card_number
    till = phones.signed_in(locale, "/shop/card", SHOPKEEPER)
    expect(till).to_have_url(live_server.url("/shop/card"))
    assert_language(till, locale)
    expect(till.get_by_role("heading", level=1)).to_have_text(say("Charge a card"))
    till.get_by_label(say("Amount in %(currency)s") % {"currency": "TRK"}).fill(str(AMOUNT))
    till.get_by_label(say("What for (optional)")).fill(MEMO)
    till.get_by_label(say("Card number"), exact=True).fill(card)
    shoot(till, "card")
    till.get_by_role("button", name=say("Next: the PIN"), exact=True).click()

    expect(till.get_by_role("heading", level=1)).to_have_text(say("Hand the device to the member"))
    expect(till.locator(".balance .amount")).to_have_text(str(AMOUNT))
    # Handed to the member: nothing of the shop's but the amount and its name, no way to sign out.
    expect(till.get_by_role("navigation", name=say("Menu"))).to_have_count(0)
    expect(till.get_by_role("button", name=say("Sign out"))).to_have_count(0)
    expect(till.get_by_role("link", name=say("Cancel"))).to_be_visible()
    till.get_by_label(say("PIN"), exact=True).fill(WRONG_PIN)
    till.get_by_role("button", name=say("Pay"), exact=True).click()
    expect(till.get_by_role("alert")).to_have_text(after_a_wrong_pin(locale))
    shoot(till, "wrong-pin")
    assert holder.available() == before

    till.get_by_label(say("PIN"), exact=True).fill(DEMO_CARD_PIN)
    till.get_by_role("button", name=say("Pay"), exact=True).click()
    # The hand-over view, turned towards the member: her new balance, nothing of the shop's.
    expect(till.get_by_role("heading", level=1)).to_have_text(say("Your new balance"))
    expect(till.locator("#new-balance .amount")).to_have_text(str(before - AMOUNT))
    expect(till.get_by_role("navigation", name=say("Menu"))).to_have_count(0)
    receipt = till.locator(".receipt")
    expect(receipt).to_contain_text(CARD_HOLDER_NAME)
    expect(receipt).to_contain_text(f"••• ••• {live_server.card_number[-4:]}")
    shoot(till)
    assert holder.available() == before - AMOUNT

    till.get_by_role("link", name=say("Print a slip")).click()
    slip = till.locator("#slip")
    expect(slip).to_contain_text(MEMO)
    expect(till.locator("#slip-balance")).to_contain_text(str(before - AMOUNT))
    expect(till.locator("#slip-amount")).to_contain_text(str(AMOUNT))
    expect(till.get_by_role("button", name=say("Print"))).to_be_visible()
    shoot(till, "slip")
    till.emulate_media(media="print")
    expect(till.get_by_role("button", name=say("Print"))).to_be_hidden()
    width = till.evaluate("document.querySelector('main').getBoundingClientRect().width")
    assert width <= 72 * 96 / 25.4 + 1, "the slip fits an 80 mm receipt roll"
    shoot(till, "slip-printed")
