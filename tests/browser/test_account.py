"""A person's own account on the phone: a new volunteer signs in, opens the account page from the
menu, changes their password (the current one first) and their card's PIN (the current PIN
first), and is told so; the new password then signs in and the old one no longer does; in Dutch
and in English."""

from __future__ import annotations

import httpx2
from playwright.sync_api import expect

from tests.browser.conftest import ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language, follow_menu

FIRST_PASSWORD = "first-password-2026"
NEW_PASSWORD = "second-password-2026"
FIRST_PIN = "2580"
NEW_PIN = "97531"


def signs_in(live_server: LiveServer, username: str, password: str) -> bool:
    response = httpx2.post(
        live_server.url("/api/v1/auth/token"),
        data={"username": username, "password": password},
        timeout=30.0,
    )
    return response.status_code == 200


def test_a_volunteer_changes_their_password_and_pin_on_the_phone(
    locale: str,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    api: ApiAs,
    shoot: Shoot,
) -> None:
    username = f"volunteer-{locale}"
    admin = api("admin")
    made = admin.post(
        "/users",
        {
            "username": username,
            "display_name": "Volunteer",
            "role": "member",
            "password": FIRST_PASSWORD,
        },
    )
    admin.post("/cards", {"member_id": made["id"], "pin": FIRST_PIN})

    phone = phones.open(locale)
    phone.goto("/login")
    assert_language(phone, locale)
    phone.get_by_label(say("Username"), exact=True).fill(username)
    phone.get_by_label(say("Password"), exact=True).fill(FIRST_PASSWORD)
    phone.get_by_role("button", name=say("Sign in"), exact=True).click()
    follow_menu(phone, locale, "My account")
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Your account"))
    shoot(phone, "forms")

    phone.get_by_label(say("Your password now"), exact=True).fill(FIRST_PASSWORD)
    phone.get_by_label(say("New password, at least 8 characters"), exact=True).fill(NEW_PASSWORD)
    phone.get_by_label(say("The new password again"), exact=True).fill(NEW_PASSWORD)
    phone.get_by_role("button", name=say("Change the password"), exact=True).click()
    expect(phone.get_by_role("status")).to_have_text(
        say("Your password is changed. You are signed out everywhere else.")
    )
    shoot(phone, "password")

    phone.get_by_label(say("Your PIN now"), exact=True).fill(FIRST_PIN)
    phone.get_by_label(say("New PIN, 4 to 6 digits"), exact=True).fill(NEW_PIN)
    phone.get_by_label(say("The new PIN again"), exact=True).fill(NEW_PIN)
    phone.get_by_role("button", name=say("Change the PIN"), exact=True).click()
    expect(phone.get_by_role("status")).to_have_text(say("Your card has its new PIN."))
    shoot(phone, "pin")

    assert signs_in(live_server, username, NEW_PASSWORD)
    assert not signs_in(live_server, username, FIRST_PASSWORD)
