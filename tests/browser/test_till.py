"""The till on a shopkeeper's phone: an amount becomes a QR code that leads to the payment page;
a member pays it from their own phone, and the till turns into "paid" without a reload, in Dutch
and in English."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Frame, expect

from tests.browser.conftest import ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language, read_qr

SHOPKEEPER = "bakker"
SHOP = "Bakkerij Rabot"
PAYERS = {"nl-BE": "jonas", "en": "fatima"}
AMOUNT = 12


def test_the_till_shows_paid_without_a_reload_when_a_member_pays_its_qr(
    locale: str,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    api: ApiAs,
    shoot: Shoot,
    tmp_path: Path,
) -> None:
    payer = PAYERS[locale]
    till = phones.signed_in(locale, "/till", SHOPKEEPER)
    expect(till).to_have_url(live_server.url("/till"))
    assert_language(till, locale)
    expect(till.get_by_role("heading", level=1)).to_have_text(say("Till"))
    form = till.locator("form", has=till.get_by_role("heading", name=SHOP))
    form.get_by_label(say("Amount in %(currency)s") % {"currency": "TRK"}).fill(str(AMOUNT))
    form.get_by_role("button", name=say("Show the QR code"), exact=True).click()

    expect(till).to_have_url(re.compile(re.escape(live_server.url("/till/")) + r"[^/]+$"))
    code = till.url.rsplit("/", 1)[1]
    qr = till.get_by_role("img", name=say("QR code to pay %(shop)s") % {"shop": SHOP})
    expect(qr).to_be_visible()
    pay_url = live_server.url(f"/p/{code}")
    assert read_qr(qr, tmp_path) == pay_url
    status = till.get_by_role("status")
    expect(status).to_have_text(say("Waiting for the payment…"))
    shoot(till, "qr")

    # A reload or any navigation would lose this marker and show up as a navigation.
    till.evaluate("window.tillMarker = 'no reload'")
    navigations: list[str] = []

    def on_navigation(frame: Frame) -> None:
        if frame == till.main_frame:
            navigations.append(frame.url)

    till.on("framenavigated", on_navigation)

    before = api(payer).available()
    member = phones.signed_in(locale, pay_url, payer)
    expect(member).to_have_url(pay_url)
    expect(member.get_by_role("heading", level=1)).to_have_text(
        say("Pay %(shop)s") % {"shop": SHOP}
    )
    expect(member.locator(".balance .amount")).to_have_text(str(AMOUNT))
    shoot(member, "pay")
    member.get_by_role("button", name=say("Pay"), exact=True).click()
    expect(member.get_by_role("status")).to_have_text(say("Paid"))
    expect(member.locator(".receipt")).to_contain_text(f"{before - AMOUNT} TRK")
    shoot(member, "receipt")

    expect(status).to_have_text(say("Paid"))
    expect(qr).to_have_count(0)
    assert till.evaluate("window.tillMarker") == "no reload"
    assert navigations == []
    assert till.url == live_server.url(f"/till/{code}")
    shoot(till)
