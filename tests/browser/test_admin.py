"""An administrator on a phone opens the dashboard: the currency's circulation with the same
figures as the API's report, the identity issued = in circulation + redeemed, and the charts of
the last twelve months with their figures as tables; in Dutch and in English."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language, follow_menu
from torekes.operations.demo import demo_password
from torekes.web.templating import format_amount

ADMIN = "admin"
FIGURES = ("issued", "budgets", "member_wallets", "shops", "redeemed", "in_circulation")
CHARTS = (
    "Tokens paid to volunteers",
    "Hours volunteered",
    "Payments at shops",
    "Redeemed",
)


def test_an_administrator_sees_the_dashboard(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    language = locale.split("-")[0]
    phone = phones.signed_in(locale, "/", ADMIN)
    assert_language(phone, locale)
    follow_menu(phone, locale, "Dashboard")
    expect(phone).to_have_url(live_server.url("/admin"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Dashboard"))

    report = api(ADMIN).get("/reports/circulation", currency="TRK")
    assert report["identity_holds"] is True
    panel = phone.get_by_role("region", name="TRK")
    for figure in FIGURES:
        expect(panel.locator(f'[data-figure="{figure}"]')).to_have_text(
            format_amount(report[figure], report["decimals"], language)
        )
    expect(panel).to_contain_text(say("Issued = in circulation + redeemed: holds."))
    # Every figure reads on one line beside its label, however long the label: none is squeezed
    # into a column narrower than its number.
    for shown in panel.locator(".admin-circulation dd").all():
        lines = shown.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e);"
            " return r.getClientRects().length; }"
        )
        assert lines == 1, shown.inner_text()
    shoot(phone, "circulation")

    for title in CHARTS:
        chart = panel.get_by_role("img", name=re.compile("^" + re.escape(say(title))))
        chart.scroll_into_view_if_needed()
        expect(chart).to_be_visible()
    first = panel.locator(".admin-chart").first
    first.get_by_text(say("The figures"), exact=True).click()
    expect(first.get_by_role("table")).to_be_visible()
    expect(first.get_by_role("row")).to_have_count(13)  # a header and twelve months
    shoot(phone)


SECOND_ADMIN = "beheerder2"


def test_a_second_administrator_approves_a_new_one_on_the_phone(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    """Once there are two administrators, a third waits in the approvals queue, which fits the
    phone and where the other administrator approves it."""
    admin = api(ADMIN)
    second = {
        "username": SECOND_ADMIN,
        "display_name": "Beheerder Twee van het Buurthuis",
        "role": "admin",
        "password": demo_password(SECOND_ADMIN),
    }
    made = admin.http.post("/users", json=second)
    assert made.status_code in (201, 409), made.text  # made by the first run of this test
    third = f"derde-{locale}"
    filed = admin.http.post(
        "/users",
        json={**second, "username": third, "display_name": f"Derde {locale}"},
    )
    assert filed.status_code == 202, filed.text
    request_id = filed.json()["id"]

    phone = phones.signed_in(locale, "/admin/approvals", SECOND_ADMIN)
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Approvals"))
    waiting = phone.locator(f"#approval-{request_id}")
    expect(waiting).to_contain_text(third)
    shoot(phone, "waiting")
    waiting.get_by_role("button", name=say("Approve"), exact=True).click()
    decided = phone.locator(f"#approval-{request_id}")
    expect(decided).to_contain_text(say("approved"))
    shoot(phone)
    assert any(user["username"] == third for user in admin.get("/users")["items"])
