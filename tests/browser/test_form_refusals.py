"""A refused form on a phone keeps what was typed: the coordinator's new activity with a reward
that is no number comes back with every field as typed and the message next to the reward; a
volunteer's hours beyond what the activity allows come back with the range; and a memo of one
200-character word never makes a page wider than the phone; in Dutch and in English."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language, follow_menu

PROJECT = "Community garden"
VOLUNTEERS = {"nl-BE": "fatima", "en": "jonas"}
WRONG_REWARD = {"nl-BE": "vijf", "en": "five"}
TOO_MANY_HOURS = {"nl-BE": "6,5", "en": "6.5"}
MOST_HOURS = 4
PHONE_WIDTH = 360


def test_a_wrong_reward_keeps_the_whole_activity_form(
    locale: str, say: Say, phones: Phones, shoot: Shoot
) -> None:
    phone = phones.signed_in(locale, "/", "coord")
    follow_menu(phone, locale, "Projects")
    phone.get_by_role("link", name=re.compile(PROJECT)).click()
    form = phone.locator("#activity-form")
    title = f"Paint the fence ({locale})"
    reward_label = say("Reward in %(currency)s (per claim, or per hour)") % {"currency": "TRK"}
    form.get_by_label(say("Name"), exact=True).fill(title)
    form.get_by_label(say("Description (optional)")).fill("Two coats, white.")
    form.get_by_label(say("An amount per hour")).check()
    form.get_by_label(reward_label).fill(WRONG_REWARD[locale])
    form.get_by_label(say("Most hours per claim (for a reward per hour)")).fill("3")
    form.get_by_label(say("A coordinator approves each claim first")).uncheck()
    form.locator("summary").click()
    form.get_by_label(say("Most claims in total")).fill("12")
    form.get_by_label(say("Most claims per volunteer per day or week")).fill("2")
    form.get_by_label(say("Per"), exact=True).select_option("week")
    form.get_by_role("button", name=say("Create the activity")).click()

    assert_language(phone, locale)
    form = phone.locator("#activity-form")
    expect(form.get_by_label(say("Name"), exact=True)).to_have_value(title)
    expect(form.get_by_label(say("Description (optional)"))).to_have_value("Two coats, white.")
    expect(form.get_by_label(say("An amount per hour"))).to_be_checked()
    expect(form.get_by_label(reward_label)).to_have_value(WRONG_REWARD[locale])
    expect(form.get_by_label(reward_label)).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label(say("Most hours per claim (for a reward per hour)"))).to_have_value(
        "3"
    )
    expect(form.get_by_label(say("A coordinator approves each claim first"))).not_to_be_checked()
    expect(form.get_by_label(say("Most claims in total"))).to_have_value("12")
    expect(form.get_by_label(say("Most claims per volunteer per day or week"))).to_have_value("2")
    expect(form.get_by_label(say("Per"), exact=True)).to_have_value("week")
    # The amount reader's words for letters, with a number as the page's language writes it.
    example = {"nl-BE": "1.250", "en": "1,250"}[locale]
    message = say("Type only digits, like %(example)s.") % {"example": example}
    expect(form.locator("#reward_amount-problem")).to_have_text(message)
    expect(phone.get_by_role("alert")).to_contain_text(message)
    shoot(phone, "refused")

    form.get_by_label(reward_label).fill("5")
    form.get_by_role("button", name=say("Create the activity")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(title)
    shoot(phone, "created")


def test_hours_beyond_the_activity_are_refused_with_its_range(
    locale: str, say: Say, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    per_hour = {
        "title": f"Harvest the beans ({locale})",
        "reward_kind": "per_hour",
        "reward_amount": 10,
        "max_hours": MOST_HOURS,
    }
    code = api("coord").single_use_code(PROJECT, per_hour)
    phone = phones.signed_in(locale, code["url"], VOLUNTEERS[locale])
    hours = phone.get_by_label(say("How many hours did you help?"))
    expect(phone.locator("#hours-hint")).to_have_text(
        say("At most %(hours)s hours") % {"hours": MOST_HOURS}
    )
    hours.fill(TOO_MANY_HOURS[locale])
    phone.get_by_role("button", name=say("Claim"), exact=True).click()

    assert_language(phone, locale)
    hours = phone.get_by_label(say("How many hours did you help?"))
    expect(hours).to_have_value(TOO_MANY_HOURS[locale])
    # From the fewest hours that earn one token at 10 an hour to the activity's most.
    fewest = {"nl-BE": "0,05", "en": "0.05"}[locale]
    expect(phone.locator("#hours-problem")).to_have_text(
        say("Type between %(min_hours)s and %(max_hours)s hours.")
        % {"min_hours": fewest, "max_hours": MOST_HOURS}
    )
    shoot(phone, "refused")
    hours.fill("2")
    phone.get_by_role("button", name=say("Claim"), exact=True).click()
    expect(phone.get_by_role("status")).to_have_text(say("Thank you!"))


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_long_unbroken_memo_fits_the_phone(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    shop = api("bakker").get("/accounts", kind="shop")["items"][0]
    memo = (("Zuurdesembrood" if locale == "nl-BE" else "Sourdoughbread") * 15)[:200]
    asked = api("bakker").post(
        "/payment-requests", {"shop_account_id": shop["id"], "amount": 1, "memo": memo}
    )
    phone = phones.signed_in(locale, asked["url"], VOLUNTEERS[locale])
    expect(phone.locator("main")).to_contain_text(memo)
    _fits(phone)
    shoot(phone, "pay")
    phone.get_by_role("button", name=say("Pay"), exact=True).click()
    expect(phone.get_by_role("status")).to_have_text(say("Paid"))
    _fits(phone)
    shoot(phone, "receipt")
    phone.goto(live_server.url("/"))
    expect(phone.locator(".entries").first).to_contain_text(memo)  # the wallet's own entries
    _fits(phone)
    shoot(phone, "wallet")
