"""A volunteer scans a claim QR on a phone: signed out, the page asks them to sign in first and
comes back to the claim, one button claims, and the page shows the new balance, in Dutch and in
English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    LOCALES,
    Api,
    LiveServer,
    Phones,
    Shoot,
    assert_language,
    sign_in,
    words,
)

REWARD = 30
VOLUNTEERS = {"nl-BE": "fatima", "en": "jonas"}


def fresh_claim_code(coordinator: Api, title: str) -> dict[str, Any]:
    """A new activity of the demo garden that pays at once, and one single-use code for it."""
    garden = next(p for p in coordinator.get("/projects") if p["name"] == "Community garden")
    activity = coordinator.post(
        f"/projects/{garden['id']}/activities",
        {"title": title, "reward_kind": "fixed", "reward_amount": REWARD},
    )
    batch = coordinator.post(
        f"/activities/{activity['id']}/code-batches", {"kind": "single", "count": 1}
    )
    code: dict[str, Any] = batch["codes"][0]
    return code


def wallet_available(member: Api) -> int:
    (wallet,) = member.get("/accounts", kind="member")["items"]
    available: int = wallet["available"]
    return available


@pytest.mark.parametrize("locale", LOCALES)
def test_a_volunteer_claims_from_a_qr_link_and_sees_the_new_balance(
    locale: str,
    live_server: LiveServer,
    phones: Phones,
    api: Callable[[str], Api],
    shoot: Shoot,
) -> None:
    say = words(locale)
    username = VOLUNTEERS[locale]
    title = f"Sweep the playground ({locale})"
    code = fresh_claim_code(api("coord"), title)
    assert code["url"] == live_server.url(f"/c/{code['code']}")
    before = wallet_available(api(username))

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
    assert wallet_available(api(username)) == after

    phone.get_by_role("link", name=say("To my wallet"), exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("My wallet"))
    expect(phone.locator(".wallet .balance .amount").first).to_have_text(str(after))
    expect(phone.locator(".entries")).to_contain_text(title)
    shoot(phone)
