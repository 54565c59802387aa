"""A member without a smartphone: at the neighbourhood counter she signs in with her card's
number and PIN (a wrong PIN first, then the right one) and her wallet shows the card's QR code,
in Dutch and in English."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    LOCALES,
    Api,
    LiveServer,
    Phones,
    Shoot,
    assert_language,
    catalogue,
    read_qr,
    words,
)
from torekes.services.demo import CARD_HOLDER, DEMO_CARD_PIN

WRONG_PIN = "0000"
TRIES = 5  # wrong PINs in a row that lock a card


def card_url(member: Api) -> str:
    (card,) = member.get("/cards", status="active")["items"]
    url: str = card["url"]
    return url


@pytest.mark.parametrize("locale", LOCALES)
def test_a_member_signs_in_with_her_card_and_pin_and_sees_the_card_qr(
    locale: str,
    live_server: LiveServer,
    phones: Phones,
    api: Callable[[str], Api],
    shoot: Shoot,
    tmp_path: Path,
) -> None:
    say = words(locale)
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
    wrong = catalogue(locale).ngettext(
        "Wrong PIN. You may try %(num)d more time.",
        "Wrong PIN. You may try %(num)d more times.",
        TRIES - 1,
    ) % {"num": TRIES - 1}
    expect(phone.get_by_role("alert")).to_have_text(wrong)
    shoot(phone, "wrong-pin")

    expect(phone.get_by_label(say("Card number"), exact=True)).to_have_value(number)
    phone.get_by_label(say("PIN"), exact=True).fill(DEMO_CARD_PIN)
    phone.get_by_role("button", name=say("Sign in"), exact=True).click()
    expect(phone).to_have_url(live_server.url("/"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("My wallet"))
    expect(phone.get_by_role("heading", name=say("My card"))).to_be_visible()
    qr = phone.get_by_role("img", name=say("QR code of card %(number)s") % {"number": number})
    assert read_qr(qr, tmp_path) == card_url(api(CARD_HOLDER))
    shoot(phone)
