"""Amounts at the till as the shopkeeper's language writes them, on a phone: "1.000" in Dutch
and "1,000" in English are a thousand Torekes; above the demo currency's confirmation limit (500)
the till asks once more before it makes the payment request."""

from __future__ import annotations

from tests.browser.conftest import LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language
from torekes.operations.demo import DEMO_CONFIRM_ABOVE

SHOPKEEPER = "bakker"
SHOP = "Bakkerij Rabot"
THOUSAND = {"nl-BE": "1.000", "en": "1,000"}


def test_a_thousand_typed_at_the_till_is_confirmed_then_asked_for(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, shoot: Shoot
) -> None:
    assert DEMO_CONFIRM_ABOVE < 1000
    typed = THOUSAND[locale]
    shown = f"{typed} TRK"
    till = phones.signed_in(locale, "/till", SHOPKEEPER)
    assert_language(till, locale)
    form = till.locator("form", has=till.get_by_role("heading", name=SHOP))
    form.get_by_label(say("Amount in %(currency)s") % {"currency": "TRK"}).fill(typed)
    form.get_by_role("button", name=say("Show the QR code"), exact=True).click()

    question = till.locator("#confirm-question")
    question.wait_for()
    assert question.inner_text() == say("Are you sure: %(amount)s?") % {"amount": shown}
    shoot(till, "asked")
    till.get_by_label(say("Yes, %(amount)s is right") % {"amount": shown}).check()
    till.get_by_role("button", name=say("Confirm"), exact=True).click()

    till.wait_for_url(lambda url: "/till/" in url)
    amount = till.locator(".balance .amount")
    amount.wait_for()
    assert amount.inner_text() == typed
    shoot(till, "qr")
