"""The language switch in the header: a visitor whose phone speaks one language picks the other,
stays on the same page, and the choice holds on the next page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, Phones, Shoot
from tests.browser.steps import assert_language, words

NAMES = {"nl": "Nederlands", "en": "English"}
SWITCHES = [("nl-BE", "en"), ("en", "nl")]


def switch_language(page: Page, locale: str, chosen: str) -> None:
    """Pick ``chosen`` in the header's language switch, which is in ``locale``'s words."""
    languages = page.get_by_role("navigation", name=words(locale)("Language"))
    languages.get_by_role("link", name=NAMES[chosen], exact=True).click()


@pytest.mark.parametrize(("locale", "chosen"), SWITCHES)
def test_a_visitor_switches_the_language_and_it_stays_switched(
    locale: str, chosen: str, live_server: LiveServer, phones: Phones, shoot: Shoot
) -> None:
    phone = phones.open(locale)
    phone.goto("/login")
    assert_language(phone, locale)
    switch_language(phone, locale, chosen)

    say = words(chosen)
    expect(phone).to_have_url(live_server.url("/login"))
    assert_language(phone, chosen)
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Sign in"))
    phone.get_by_role("link", name=say("No smartphone? Sign in with your member card")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Sign in with a card"))
    assert_language(phone, chosen)
    shoot(phone)


@pytest.mark.parametrize(("locale", "chosen"), SWITCHES)
def test_switching_the_language_keeps_where_signing_in_leads(
    locale: str, chosen: str, live_server: LiveServer, phones: Phones, shoot: Shoot
) -> None:
    phone = phones.open(locale)
    phone.goto("/c/some-code")
    expect(phone).to_have_url(live_server.url("/login?next=/c/some-code"))
    switch_language(phone, locale, chosen)
    assert_language(phone, chosen)
    shoot(phone)
    assert phone.url == live_server.url("/login?next=/c/some-code")
