"""Work paid per hour after approval, all through the pages: a volunteer claims one and a half
hours (typed the way the language writes them), the page says a coordinator approves first; the
coordinator approves that claim from the list of waiting claims, and the volunteer's wallet shows
the tokens; in Dutch and in English."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import ApiAs, Phones, Shoot
from tests.browser.steps import Say, assert_language

COORDINATOR = "coord"
PROJECT = "Community garden"
PER_HOUR = 20
HOURS = {"nl-BE": "1,5", "en": "1.5"}
EARNED = 30  # one and a half hours at 20 an hour
VOLUNTEERS = {"nl-BE": ("elif", "Elif"), "en": ("fatima", "Fatima")}


def test_a_coordinator_approves_a_claimed_hour_and_the_volunteer_gets_the_tokens(
    locale: str, say: Say, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    username, name = VOLUNTEERS[locale]
    title = f"Harvest the beans ({locale})"
    paid_after_approval = {
        "title": title,
        "reward_kind": "per_hour",
        "reward_amount": PER_HOUR,
        "max_hours": "4",
        "requires_approval": True,
    }
    code = api(COORDINATOR).single_use_code(PROJECT, paid_after_approval)
    before = api(username).available()

    volunteer = phones.signed_in(locale, code["url"], username)
    expect(volunteer.get_by_role("heading", level=1)).to_have_text(title)
    assert_language(volunteer, locale)
    volunteer.get_by_label(say("How many hours did you help?")).fill(HOURS[locale])
    volunteer.get_by_role("button", name=say("Claim"), exact=True).click()
    expect(volunteer.get_by_role("status")).to_have_text(say("Thank you!"))
    expect(volunteer.locator("main")).to_contain_text(
        say("A coordinator will approve your claim soon; then the tokens are in your wallet.")
    )
    shoot(volunteer, "claimed")

    coordinator = phones.signed_in(locale, "/projects", COORDINATOR)
    coordinator.get_by_role("link", name=PROJECT).click()
    waiting = re.escape(say("Claims waiting for approval: %(count)s")).replace(
        re.escape("%(count)s"), r"\d+"
    )
    coordinator.get_by_role("link", name=re.compile(f"^{waiting}$")).click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(
        say("Claims waiting for approval")
    )
    row = coordinator.get_by_role("row").filter(has_text=title)
    expect(row).to_contain_text(name)
    expect(row).to_contain_text(f"{EARNED} TRK")
    row.get_by_role("checkbox").check()
    shoot(coordinator, "waiting")
    coordinator.get_by_role("button", name=say("Approve selected"), exact=True).click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(say("Claims approved"))
    outcome = coordinator.get_by_role("listitem").filter(has_text=title)
    expect(outcome).to_contain_text(say("Approved"))
    shoot(coordinator, "approved")

    volunteer.get_by_role("link", name=say("To my wallet"), exact=True).click()
    after = before + EARNED
    expect(volunteer.locator(".wallet .balance .amount").first).to_have_text(str(after))
    shoot(volunteer)
    assert api(username).available() == after
