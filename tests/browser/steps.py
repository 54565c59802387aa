"""What the browser tests do on a page: the pages' words in a locale, signing in with a demo
login, following the menu, checking the page's language, and reading back a QR code."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from babel.support import Translations
from playwright.sync_api import Locator, Page, expect

from torekes.operations.demo import demo_password
from torekes.web import i18n

Say = Callable[[str], str]


def catalogue(locale: str) -> Translations:
    """The pages' catalogue for a browser locale (``nl-BE`` reads the Dutch one)."""
    return i18n.translations(locale.split("-")[0])


def words(locale: str) -> Say:
    """``say = words(locale)``: ``say("Paid")`` is what the page shows in that language."""
    return catalogue(locale).gettext


def sign_in(page: Page, locale: str, username: str) -> None:
    """On the sign-in page (reached directly or by a redirect), sign in with the demo login."""
    say = words(locale)
    page.get_by_label(say("Username"), exact=True).fill(username)
    page.get_by_label(say("Password"), exact=True).fill(demo_password(username))
    page.get_by_role("button", name=say("Sign in"), exact=True).click()


def follow_menu(page: Page, locale: str, link: str) -> None:
    """Follow the header menu's link named ``link`` (in English; shown in the locale)."""
    say = words(locale)
    page.get_by_role("navigation", name=say("Menu")).get_by_role("link", name=say(link)).click()


def assert_language(page: Page, locale: str) -> None:
    """The page is in the locale's language (waiting for a navigation under way to finish)."""
    expect(page.locator("html")).to_have_attribute("lang", locale.split("-")[0])


def read_qr(qr: Locator, tmp_path: Path) -> str:
    """What the QR image in ``qr`` (an inline SVG or an <img>) says, read back by zbarimg from a
    screenshot of it with a white margin around (the quiet zone a reader needs)."""
    qr.scroll_into_view_if_needed()
    box = qr.bounding_box()
    assert box is not None, "the QR code is not visible"
    margin = 24
    image = tmp_path / f"qr-{time.monotonic_ns()}.png"
    qr.page.screenshot(
        path=str(image),
        clip={
            "x": max(box["x"] - margin, 0),
            "y": max(box["y"] - margin, 0),
            "width": box["width"] + 2 * margin,
            "height": box["height"] + 2 * margin,
        },
    )
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"no QR code found in {image}: {done.stderr}"
    return done.stdout.strip()
