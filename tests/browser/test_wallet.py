"""The wallet on a phone tells the whole story: a claim waiting for a coordinator with its
activity and amount, a purchase naming the shop, each line opening its receipt, older entries a
page further, and the member's card with its state and last digits; in Dutch and in English."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import ApiAs, Phones, Shoot
from tests.browser.steps import Say, assert_language, sign_in, words
from torekes.operations.demo import demo_password

SHOP = "Bakkerij Rabot"
TRANSFERS = 12  # more than the wallet shows, so older entries are a page further


def test_the_wallet_tells_the_whole_story(
    locale: str, say: Say, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    username = f"wallet-{locale.lower()}"
    admin = api("admin")
    member = admin.post(
        "/users",
        {
            "username": username,
            "display_name": "Noor",
            "role": "member",
            "password": demo_password(username),
        },
    )
    wallet = admin.post(
        "/accounts",
        {"currency": "TRK", "kind": "member", "name": "Noor", "owner_id": member["id"]},
    )
    budget = admin.get("/accounts", kind="budget")["items"][0]
    for amount in range(1, TRANSFERS + 1):
        admin.post(
            "/transfers",
            {"from_account_id": budget["id"], "to_account_id": wallet["id"], "amount": amount},
        )
    title = f"Paint the fence ({locale})"
    waiting = {
        "title": title,
        "reward_kind": "fixed",
        "reward_amount": 15,
        "requires_approval": True,
    }
    code = api("coord").single_use_code("Community garden", waiting)
    noor = api(username)
    noor.post("/claims", {"code": code["code"]})
    bakker = api("bakker")
    shop = next(a for a in bakker.get("/accounts", kind="shop")["items"] if a["name"] == SHOP)
    request = bakker.post("/payment-requests", {"shop_account_id": shop["id"], "amount": 7})
    noor.post(f"/payment-requests/{request['code']}/pay", {})
    card = admin.post("/cards", {"member_id": member["id"], "pin": "2580"})

    phone = phones.open(locale)
    phone.goto("/")
    sign_in(phone, locale, username)
    assert_language(phone, locale)
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("My wallet"))
    expect(phone.get_by_role("heading", level=2).first).to_have_text(
        say("%(name)s's wallet") % {"name": "Noor"}
    )
    pending = phone.locator(".pending")
    expect(pending.get_by_role("heading")).to_have_text(say("Waiting for approval"))
    expect(pending.locator(".claim-pending")).to_contain_text(title)
    expect(pending.locator(".claim-pending")).to_contain_text("15 TRK")
    purchase = say("Payment to %(shop)s") % {"shop": SHOP}
    expect(phone.locator(".entries").first).to_contain_text(purchase)
    my_card = phone.locator("section.card")
    expect(my_card.locator(".card-ending")).to_have_text("••• ••• " + card["number"][-4:])
    expect(my_card.locator(".card-active")).to_have_text(say("active"))
    shoot(phone, "wallet")

    phone.get_by_role("link", name=re.compile(re.escape(purchase))).click()
    expect(phone).to_have_url(re.compile(r"/receipts/\d+$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Receipt"))
    expect(phone.locator(".receipt-what")).to_have_text(purchase)
    expect(phone.locator(".balance .amount")).to_have_text("-7")
    shoot(phone, "receipt")

    phone.get_by_role("link", name=say("To my wallet"), exact=True).click()
    phone.get_by_role("link", name=say("Older entries"), exact=True).click()
    expect(phone).to_have_url(re.compile(rf"/history/{wallet['id']}\?cursor=\d+$"))
    older = phone.locator(".entries li")
    # Twelve transfers, the claim's nothing yet, the purchase: ten on the wallet, three here.
    expect(older).to_have_count(TRANSFERS + 1 - 10)
    expect(older.first).to_contain_text("+3")
    expect(older.last).to_contain_text("+1")
    shoot(phone, "older")


def test_switching_the_language_keeps_the_typed_amount_and_the_receipt(
    locale: str, say: Say, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    bakker = api("bakker")
    shop = next(a for a in bakker.get("/accounts", kind="shop")["items"] if a["name"] == SHOP)
    standing = bakker.post("/payment-requests", {"shop_account_id": shop["id"], "kind": "standing"})
    other = "en" if locale.startswith("nl") else "nl"
    say_other = words(other)
    names = {"nl": "Nederlands", "en": "English"}

    phone = phones.open(locale)
    phone.goto(f"/p/{standing['code']}")
    sign_in(phone, locale, "jonas")
    phone.get_by_label(say("Amount in %(currency)s") % {"currency": "TRK"}).fill("3")
    languages = phone.get_by_role("navigation", name=say("Language"))
    languages.get_by_role("button", name=names[other], exact=True).click()
    assert_language(phone, other)
    amount = phone.get_by_label(say_other("Amount in %(currency)s") % {"currency": "TRK"})
    expect(amount).to_have_value("3")
    shoot(phone, "typed-kept")

    phone.get_by_role("button", name=say_other("Pay"), exact=True).click()
    expect(phone.get_by_role("status")).to_have_text(say_other("Paid"))
    phone.get_by_role("navigation", name=say_other("Language")).get_by_role(
        "link", name=names[locale.split("-")[0]], exact=True
    ).click()
    expect(phone).to_have_url(re.compile(r"/receipts/\d+$"))
    assert_language(phone, locale)
    expect(phone.locator(".receipt-what")).to_have_text(say("Payment to %(shop)s") % {"shop": SHOP})
    expect(phone.locator(".balance .amount")).to_have_text("-3")
    shoot(phone, "receipt-switched")
