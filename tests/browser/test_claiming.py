"""A volunteer scans a claim QR on a phone: signed out, the page asks them to sign in first and
comes back to the claim, one button claims, and the page shows the new balance, in Dutch and in
English."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language, sign_in

REWARD = 30
VOLUNTEERS = {"nl-BE": "fatima", "en": "jonas"}


def test_a_volunteer_claims_from_a_qr_link_and_sees_the_new_balance(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    username = VOLUNTEERS[locale]
    title = f"Sweep the playground ({locale})"
    paid_at_once = {"title": title, "reward_kind": "fixed", "reward_amount": REWARD}
    code = api("coord").single_use_code("Community garden", paid_at_once)
    assert code["url"] == live_server.url(f"/c/{code['code']}")
    before = api(username).available()

    phone = phones.open(locale)
    phone.goto(code["url"])
    expect(phone).to_have_url(live_server.url(f"/login?next=/c/{code['code']}"))
    assert_language(phone, locale)
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Sign in"))
    shoot(phone, "sign-in")

    sign_in(phone, locale, username)
    expect(phone).to_have_url(code["url"])
    expect(phone.get_by_role("heading", level=1)).to_have_text(title)
    shoot(phone, "claim")

    phone.get_by_role("button", name=say("Claim"), exact=True).click()
    expect(phone.get_by_role("status")).to_have_text(say("Thank you!"))
    after = before + REWARD
    expect(phone.locator("main")).to_contain_text(f"{say('Your new balance')}: {after} TRK")
    shoot(phone, "claimed")
    assert api(username).available() == after

    phone.get_by_role("link", name=say("To my wallet"), exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("My wallet"))
    expect(phone.locator(".wallet .balance .amount").first).to_have_text(str(after))
    expect(phone.locator(".wallet .entries").first).to_contain_text(title)
    shoot(phone)
