"""Tokens back to euros, all through the pages: a shopkeeper asks to redeem part of the shop's
tokens, an administrator approves that redemption, and the shop sees it approved; in Dutch and in
English."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language

SHOPKEEPER = "fietser"
SHOP = "Fietsatelier"
ADMIN = "admin"
AMOUNTS = {"nl-BE": 3, "en": 4}


def test_a_shop_asks_to_redeem_and_an_administrator_approves(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, shoot: Shoot
) -> None:
    amount = AMOUNTS[locale]
    memo = f"Takings of the week ({locale})"
    shop = phones.signed_in(locale, "/shop/redeem", SHOPKEEPER)
    assert_language(shop, locale)
    expect(shop.get_by_role("heading", level=1)).to_have_text(say("Redeem tokens for euros"))
    section = shop.get_by_role("region", name=SHOP)
    form = section.locator("form", has=shop.get_by_role("heading", name=say("Ask to redeem")))
    form.get_by_label(say("Amount in %(currency)s") % {"currency": "TRK"}).fill(str(amount))
    form.get_by_label(say("What for (optional)")).fill(memo)
    form.get_by_role("button", name=say("Ask to redeem"), exact=True).click()
    expect(shop.get_by_role("status")).to_have_text(say("Redemption requested"))
    expect(shop.locator(".balance .amount")).to_have_text(str(amount))
    shoot(shop, "requested")

    admin = phones.signed_in(locale, "/admin/redemptions", ADMIN)
    expect(admin.get_by_role("heading", level=1)).to_have_text(say("Redemptions"))
    asked = admin.get_by_role("listitem").filter(has_text=memo)
    expect(asked).to_contain_text(SHOP)
    expect(asked).to_contain_text(f"{amount} TRK")
    shoot(admin, "asked")
    asked.get_by_role("button", name=say("Approve"), exact=True).click()
    expect(admin).to_have_url(live_server.url("/admin/redemptions"))
    approved = admin.get_by_role("region", name=say("Approved, to be paid"))
    expect(approved.get_by_role("listitem").filter(has_text=memo)).to_be_visible()
    shoot(admin, "approved")

    shop.get_by_role("link", name=say("To the redemptions"), exact=True).click()
    redemptions = shop.get_by_role("region", name=say("Redemptions of %(shop)s") % {"shop": SHOP})
    newest = redemptions.get_by_role("row").nth(1)
    expect(newest).to_contain_text(f"{amount} TRK")
    expect(newest).to_contain_text(say("Approved"))
    shoot(shop)
