"""Each role lands on its own work after signing in, a shop prints its QR poster, a member who
cannot scan types a sheet's short code, the back button after paying or claiming shows what was
done, and the coordinator's budget figures add up, in Dutch and in English on a phone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language, read_qr

# Who lands where, and the heading their landing page shows (in English).
LANDINGS = [
    ("fatima", "/", "My wallet"),
    ("bakker", "/till", "Till"),
    ("coord", "/projects", "Projects"),
    ("admin", "/admin", "Dashboard"),
    ("auditor", "/admin", "Dashboard"),
]
SHOP = "Bakkerij Rabot"
MEMBERS = {"nl-BE": "jonas", "en": "fatima"}


def test_each_role_lands_on_its_own_work_after_signing_in(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, shoot: Shoot
) -> None:
    for username, landing, heading in LANDINGS:
        phone = phones.signed_in(locale, "/login", username)
        expect(phone).to_have_url(live_server.url(landing))
        assert_language(phone, locale)
        expect(phone.get_by_role("heading", level=1)).to_have_text(say(heading))
        shoot(phone, username)


def test_the_server_prints_the_demo_card_and_a_claim_link(live_server: LiveServer) -> None:
    log = live_server.log_text()
    assert f"number {live_server.card_number}, PIN 2580" in log
    assert f"a claim link every member can use today: {live_server.url('/c/')}" in log


def test_a_shop_prints_its_qr_poster_from_the_till(
    locale: str,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    shoot: Shoot,
    tmp_path: Path,
) -> None:
    till = phones.signed_in(locale, "/till", "bakker")
    till.get_by_role("link", name=say("QR poster for the counter (any amount)")).first.click()
    expect(till.get_by_role("heading", level=1)).to_have_text(SHOP)
    expect(till.locator("main")).to_contain_text(say("Pay here with Torekes"))
    expect(till.locator("main")).to_contain_text(say("Scan this code with your phone camera."))
    qr = till.locator(".poster .qr")
    assert read_qr(qr, tmp_path).startswith(live_server.url("/p/"))
    expect(till.get_by_role("button", name=say("Print"))).to_be_visible()
    shoot(till, "screen")

    till.emulate_media(media="print")
    expect(till.locator("header.bar")).to_be_hidden()
    expect(till.get_by_role("button", name=say("Print"))).to_be_hidden()
    expect(till.get_by_role("heading", level=1)).to_have_text(SHOP)
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] > 300  # 13 cm on paper: the biggest thing on the page
    till.screenshot(path=str(tmp_path / "printed.png"), full_page=True)
    till.emulate_media(media="screen")


def test_a_member_types_a_short_code_claims_and_goes_back(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    title = f"Fold the flyers ({locale})"
    activity = {"title": title, "reward_kind": "fixed", "reward_amount": 5}
    code = api("coord").single_use_code("Community garden", activity)
    member = phones.signed_in(locale, "/", MEMBERS[locale])
    member.get_by_role("link", name=say("Type a code"), exact=True).click()
    expect(member).to_have_url(live_server.url("/c"))
    member.get_by_label(say("Short code"), exact=True).fill("nope-nope-nope")
    member.get_by_role("button", name=say("Next"), exact=True).click()
    expect(member.get_by_role("alert")).to_have_text(
        say("No code has these characters. Check them against the sheet and try again.")
    )
    shoot(member, "mistyped")

    member.get_by_label(say("Short code"), exact=True).fill(code["short_code"].lower())
    member.get_by_role("button", name=say("Next"), exact=True).click()
    expect(member.get_by_role("heading", level=1)).to_have_text(title)
    shoot(member, "claim")
    member.get_by_role("button", name=say("Claim"), exact=True).click()
    expect(member.get_by_role("status")).to_have_text(say("Thank you!"))

    member.go_back()
    expect(member.get_by_role("status")).to_have_text(say("Already claimed by you"))
    expect(member.locator("main")).to_contain_text(title)
    shoot(member, "back")


def test_back_after_paying_shows_paid_with_the_receipt(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, api: ApiAs, shoot: Shoot
) -> None:
    shop = next(a for a in api("bakker").get("/accounts")["items"] if a["kind"] == "shop")
    request = api("bakker").post(
        "/payment-requests", {"shop_account_id": shop["id"], "amount": 3, "memo": "Coffee"}
    )
    member = phones.signed_in(locale, request["url"], MEMBERS[locale])
    member.get_by_role("button", name=say("Pay"), exact=True).click()
    expect(member.get_by_role("status")).to_have_text(say("Paid"))
    receipt = member.locator(".receipt").text_content()

    member.go_back()
    expect(member).to_have_url(request["url"])
    expect(member.get_by_role("status")).to_have_text(say("Paid"))
    expect(member.locator(".receipt")).to_contain_text(say("Receipt number"))
    assert member.locator(".receipt").text_content() == receipt
    shoot(member, "back")


def test_the_project_budget_figures_add_up(
    locale: str, say: Say, live_server: LiveServer, phones: Phones, shoot: Shoot
) -> None:
    coordinator = phones.signed_in(locale, "/projects", "coord")
    coordinator.get_by_role("link", name="Community garden").first.click()
    figures = {
        name: int(coordinator.locator(f"dd.{name}").get_attribute("data-figure") or "0")
        for name in ("funded", "paid", "other", "left")
    }
    start = coordinator.locator("dd.start")
    opening = int(start.get_attribute("data-figure") or "0") if start.count() else 0
    assert opening + figures["funded"] + figures["paid"] + figures["other"] == figures["left"]
    for label in ("Funded", "Paid out to volunteers", "Other movements (transfers, corrections)"):
        expect(coordinator.locator("dl.figures")).to_contain_text(say(label))
    shoot(coordinator, "budget")
