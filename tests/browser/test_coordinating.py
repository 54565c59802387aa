"""A coordinator on a phone: opens the demo garden project, creates an activity that pays at
once, makes a sheet of claim codes and prints it; every QR code on the sheet, on screen and as
printed, says its code's claim URL, and a volunteer who scans one can claim; in Dutch and in
English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, ApiAs, LiveServer, Phones, Shoot
from tests.browser.steps import Say, assert_language, follow_menu, read_qr

COORDINATOR = "coord"
PROJECT = "Community garden"
REWARD = 15
CODES = 4
VOLUNTEERS = {"nl-BE": "jonas", "en": "elif"}


def test_a_coordinator_makes_and_prints_a_sheet_of_claim_codes(
    locale: str,
    say: Say,
    live_server: LiveServer,
    phones: Phones,
    api: ApiAs,
    shoot: Shoot,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    title = f"Water the seedlings ({locale})"
    phone = phones.signed_in(locale, "/", COORDINATOR)
    assert_language(phone, locale)
    follow_menu(phone, locale, "Projects")
    expect(phone.get_by_role("heading", level=1)).to_have_text(say("Projects"))
    phone.get_by_role("link", name=re.compile(PROJECT)).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(PROJECT)

    form = phone.locator("#activity-form")
    form.get_by_label(say("Name"), exact=True).fill(title)
    form.get_by_label(say("A fixed amount per claim")).check()
    form.get_by_label(
        say("Reward in %(currency)s (per claim, or per hour)") % {"currency": "TRK"}
    ).fill(str(REWARD))
    form.get_by_label(say("A coordinator approves each claim first")).uncheck()
    shoot(phone, "new-activity")
    form.get_by_role("button", name=say("Create the activity")).click()
    expect(phone).to_have_url(re.compile(re.escape(live_server.url("/activities/")) + r"\d+$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(title)

    phone.get_by_label(say("How many codes (1 to %(most)s)") % {"most": 500}).fill(str(CODES))
    phone.get_by_label(say("Once (one code per volunteer)")).check()
    shoot(phone, "activity")
    phone.get_by_role("button", name=say("Create the sheet")).click()
    expect(phone).to_have_url(re.compile(re.escape(live_server.url("/sheets/")) + r"\d+$"))
    batch_id = phone.url.rsplit("/", 1)[1]
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"{PROJECT} · {title}")

    batch = api(COORDINATOR).get(f"/code-batches/{batch_id}")
    urls = [code["url"] for code in sorted(batch["codes"], key=lambda code: code["position"])]
    assert len(urls) == CODES
    assert all(url.startswith(live_server.url("/c/")) for url in urls)

    def qr_codes() -> list[str]:
        named = [say("QR code %(number)s") % {"number": n} for n in range(1, CODES + 1)]
        return [read_qr(phone.get_by_role("img", name=n, exact=True), tmp_path) for n in named]

    sheet = phone.get_by_role("list", name=say("Claim codes"))
    expect(sheet.get_by_role("listitem")).to_have_count(CODES)
    assert qr_codes() == urls
    shoot(phone, "sheet")

    # The button opens the browser's print dialog, which a headless browser cannot show.
    phone.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    phone.get_by_role("button", name=say("Print"), exact=True).click()
    assert phone.evaluate("window.printed") == 1
    phone.emulate_media(media="print")
    expect(phone.get_by_role("button", name=say("Print"))).to_be_hidden()
    expect(phone.locator("header.bar")).to_be_hidden()
    assert qr_codes() == urls
    shoot(phone, "printed")
    phone.pdf(path=str(SCREENSHOTS / f"{request.node.name}.pdf"), format="A4")
    phone.emulate_media(media="screen")

    volunteer = VOLUNTEERS[locale]
    before = api(volunteer).available()
    member = phones.signed_in(locale, urls[0], volunteer)
    expect(member.get_by_role("heading", level=1)).to_have_text(title)
    member.get_by_role("button", name=say("Claim"), exact=True).click()
    expect(member.get_by_role("status")).to_have_text(say("Thank you!"))
    after = before + REWARD
    expect(member.locator("main")).to_contain_text(f"{say('Your new balance')}: {after} TRK")
    shoot(member)
