"""A member without a phone is fully served at the counter: a card number with a wrong check
digit is refused before the PIN is asked; a shopkeeper shows the member her balance and history
with her card and PIN; a coordinator records her hours at the garden with her card and PIN, and
records an attendance list after a garden morning, each line with its outcome; in Dutch and in
English."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language
from torekes.operations.demo import CARD_HOLDER, DEMO_CARD_PIN

SHOPKEEPER = "bakker"
COORDINATOR = "coord"
CARD_HOLDER_NAME = "Elif"
PROJECT = "Community garden"
GARDEN = "Garden work"


def mistyped(number: str) -> str:
    digits = number.replace(" ", "")
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


def test_a_mistyped_card_number_is_refused_before_the_pin_is_asked(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, shoot: Shoot
) -> None:
    till = phones.signed_in(locale, "/shop/card", SHOPKEEPER)
    assert_language(till, locale)
    till.get_by_label(say("Amount in %(currency)s") % {"currency": "TRK"}).fill("3")
    till.get_by_label(say("Card number"), exact=True).fill(mistyped(live_server.card_number))
    till.get_by_role("button", name=say("Next: the PIN"), exact=True).click()
    expect(till.get_by_role("alert")).to_have_text(
        say(
            "This card number is mistyped: a card number has ten digits and the last one does "
            "not fit. Check the digits and type it again."
        )
    )
    expect(till.get_by_label(say("PIN"), exact=True)).to_have_count(0)
    shoot(till)


def test_a_shopkeeper_shows_a_member_her_balance_and_history_with_her_pin(
    locale: str,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    api: ApiAs,
    shoot: Shoot,
) -> None:
    holder = api(CARD_HOLDER)
    counter = phones.signed_in(locale, "/shop/card", SHOPKEEPER)
    counter.get_by_role("link", name=say("A member\u2019s balance")).click()
    expect(counter.get_by_role("heading", level=1)).to_have_text(say("A member\u2019s balance"))
    counter.get_by_label(say("Card number"), exact=True).fill(live_server.card_number)
    shoot(counter, "card")
    counter.get_by_role("button", name=say("Next: the PIN"), exact=True).click()
    expect(counter.get_by_role("heading", level=1)).to_have_text(
        say("Hand the device to the member")
    )
    # Turned towards the member: nothing of the shop's, no menu, no way to sign out.
    expect(counter.get_by_role("navigation", name=say("Menu"))).to_have_count(0)
    expect(counter.get_by_role("button", name=say("Sign out"))).to_have_count(0)
    expect(counter.get_by_role("link", name=say("Cancel"))).to_be_visible()
    shoot(counter, "pin")
    counter.get_by_label(say("PIN"), exact=True).fill(DEMO_CARD_PIN)
    counter.get_by_role("button", name=say("OK"), exact=True).click()

    expect(counter.get_by_role("heading", level=1)).to_contain_text(CARD_HOLDER_NAME)
    expect(counter.locator(".member-balance .amount")).to_have_text(str(holder.available()))
    expect(counter.locator("#by-for")).to_contain_text(CARD_HOLDER_NAME)
    expect(counter.get_by_role("navigation", name=say("Menu"))).to_have_count(0)
    expect(counter.locator("#statement tbody tr").first).to_be_visible()
    # Every line says what it was, as the member's wallet says it, and fits the dashed frame.
    for what in counter.locator("#statement td.what").all_inner_texts():
        assert what.strip(), what
    overflow = counter.evaluate(
        """() => {
            const frame = document.querySelector("#statement").getBoundingClientRect();
            const tables = [...document.querySelectorAll("#statement table")];
            return Math.max(0, ...tables.map((t) => t.getBoundingClientRect().right - frame.right));
        }"""
    )
    assert overflow <= 0, f"the statement's table sticks out of its frame by {overflow}px"
    shoot(counter)


def test_a_coordinator_records_her_hours_with_her_card_and_pin(
    locale: str,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    shoot: Shoot,
) -> None:
    desk = phones.signed_in(locale, "/projects", COORDINATOR)
    assert_language(desk, locale)
    desk.get_by_role("link", name=PROJECT).click()
    desk.get_by_role("link", name=GARDEN, exact=True).click()
    desk.get_by_role("link", name=say("A claim for a member")).click()
    desk.get_by_label(say("Hours worked"), exact=False).fill("2")
    desk.get_by_label(say("Card number"), exact=True).fill(live_server.card_number)
    shoot(desk, "form")
    desk.get_by_role("button", name=say("Next: the PIN"), exact=True).click()
    desk.get_by_label(say("PIN"), exact=True).fill(DEMO_CARD_PIN)
    desk.get_by_role("button", name=say("OK"), exact=True).click()

    expect(desk.get_by_role("heading", level=1)).to_have_text(say("Claim recorded"))
    expect(desk.locator("#by-for")).to_have_text(
        say("Recorded by %(by)s for %(member)s")
        % {"by": "Chris Coordinator", "member": CARD_HOLDER_NAME}
    )
    expect(desk.get_by_text(say("Waiting for a coordinator\u2019s approval."))).to_be_visible()
    shoot(desk)


def test_a_coordinator_records_an_attendance_list_with_each_lines_outcome(
    locale: str,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    shoot: Shoot,
) -> None:
    desk = phones.signed_in(locale, "/projects", COORDINATOR)
    desk.get_by_role("link", name=PROJECT).click()
    desk.get_by_role("link", name=GARDEN, exact=True).click()
    desk.get_by_role("link", name=say("Attendance list")).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(say("Attendance list"))
    desk.get_by_label(say("Hours worked by each"), exact=False).fill("3")
    listed = f"{live_server.card_number}\n{mistyped(live_server.card_number)}"
    desk.get_by_label(say("Card numbers, one per line (at most %(num)d)") % {"num": 60}).fill(
        listed
    )
    shoot(desk, "form")
    desk.get_by_role("button", name=say("Record the claims"), exact=True).click()

    expect(desk.get_by_role("heading", level=1)).to_have_text(say("Attendance recorded"))
    expect(desk.locator("#attendance-summary")).to_have_text(
        say("%(done)d of %(all)d recorded.") % {"done": 1, "all": 2}
    )
    expect(desk.locator("#line-1")).to_contain_text(CARD_HOLDER_NAME)
    expect(desk.locator("#line-2")).to_contain_text(say("Mistyped: check the ten digits."))
    shoot(desk)
