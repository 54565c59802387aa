"""Browser tests: Debian's headless Chromium, driven by Playwright, on phone-sized screens against
a real server process loaded with the demo community.

One server serves the tests of this package and stops before any other test runs: a fresh
database (an SQLite file, or a database of its own on the PostgreSQL server of
``TOREKES_TEST_DATABASE_URL``), brought to the newest schema by ``torekes migrate``, filled by
``torekes demo``, then ``torekes serve`` on a free port with its public address pointing at
itself, so the QR codes on the pages lead back to it. The browser is the system's
``/usr/bin/chromium``; the tests never download one. Each test leaves at least one
screenshot in ``build/screenshots/``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import create_engine, make_url, text

from tests.browser.api import Api
from tests.browser.steps import Say, sign_in, words
from tests.servers import Server, free_port, running, server_env, start, torekes_serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
LOCALES = ["nl-BE", "en"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
TOREKES = str(Path(sys.executable).with_name("torekes"))
SECRET_KEY = "browser-test-secret-key-that-is-long-enough-0123456789"
STARTUP_DEADLINE_SECONDS = 60.0
# Playwright's waits are in milliseconds; a long poll answers well within this.
WAIT_MS = 30_000


FAILED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test itself failed, for the fixtures' teardown."""
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


@dataclass(frozen=True)
class LiveServer(Server):
    """The running service and what ``torekes demo`` printed."""

    demo_output: str

    @property
    def card_number(self) -> str:
        found = re.search(r"member card: number (.+?), PIN", self.demo_output)
        assert found is not None, self.demo_output
        return found.group(1)


@pytest.fixture(scope="package")
def browser_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the session's server, of the family the suite runs on."""
    postgres = os.environ.get("TOREKES_TEST_DATABASE_URL")
    if not postgres:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser') / 'torekes.db'}"
        return
    url = make_url(postgres)
    name = f"{url.database}_browser_{os.getpid()}"
    admin_url = url.set(database="postgres").render_as_string(hide_password=False)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="package")
def live_server(
    browser_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``torekes migrate``, ``torekes demo``, then ``torekes serve``, until the last test here."""
    workdir = tmp_path_factory.mktemp("server")  # away from any .env file in the project
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = server_env(
        TOREKES_DATABASE_URL=browser_database_url,
        TOREKES_SECRET_KEY=SECRET_KEY,
        TOREKES_PUBLIC_BASE_URL=base_url,
    )
    _run([TOREKES, "migrate"], env, workdir)
    demo_output = _run([TOREKES, "demo"], env, workdir)
    started = start(torekes_serve(port), port, env, workdir)
    server = LiveServer(started.base_url, started.process, started.log, demo_output)
    with running(server, "/readyz", STARTUP_DEADLINE_SECONDS):
        yield server
    assert "Traceback" not in server.log_text(), server.log_text()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    yield launched
    launched.close()


@dataclass
class Phones:
    """Phone-sized browser contexts, each its own person (cookies are not shared)."""

    browser: Browser
    base_url: str
    opened: list[BrowserContext] = field(default_factory=list)

    def open(self, locale: str) -> Page:
        context = self.browser.new_context(base_url=self.base_url, locale=locale, **PHONE)
        context.set_default_timeout(WAIT_MS)
        self.opened.append(context)
        return context.new_page()

    def signed_in(self, locale: str, path: str, username: str) -> Page:
        """A new phone that opens ``path`` and signs in there as ``username``."""
        page = self.open(locale)
        page.goto(path)
        sign_in(page, locale, username)
        return page

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def phones(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Phones]:
    """Phones for the test; when it fails, each phone's last page is saved as
    ``build/screenshots/<test name>-failed-<n>.png``."""
    opened = Phones(browser, live_server.base_url)
    yield opened
    if request.node.stash.get(FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, context in enumerate(opened.opened, 1):
            for page in context.pages:
                path = SCREENSHOTS / f"{request.node.name}-failed-{number}.png"
                page.screenshot(path=str(path), full_page=True)
    opened.close()


Shoot = Callable[..., Path]


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Iterator[Shoot]:
    """``shoot(page)`` saves a full-page screenshot as ``build/screenshots/<test name>.png``,
    ``shoot(page, step)`` as ``<test name>-<step>.png``; the test fails when it saved none."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []

    def save(page: Page, step: str = "") -> Path:
        path = SCREENSHOTS / f"{request.node.name}{'-' + step if step else ''}.png"
        page.screenshot(path=str(path), full_page=True)
        assert_fits_the_screen(page)
        assert_touch_targets(page)
        saved.append(path)
        return path

    yield save
    if not request.node.stash.get(FAILED, False):
        assert saved, "every browser test saves at least one screenshot"


def assert_fits_the_screen(page: Page) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling of the whole page
    (a wide table scrolls inside its own wrapper)."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide on a {widths[1]} px screen"


# Controls a finger must hit; links inside running text are exempt, as in WCAG's target size.
TARGETS = (
    "button, select, textarea, summary, label.choice, nav a, a.button, "
    "input:not([type=hidden]):not([type=radio]):not([type=checkbox])"
)
SMALL_TARGETS = """targets => Array.from(document.querySelectorAll(targets))
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
  .map(e => e.outerHTML.slice(0, 120))"""


def assert_touch_targets(page: Page) -> None:
    """Every visible control is at least 44 CSS pixels high."""
    small = page.evaluate(SMALL_TARGETS, TARGETS)
    assert not small, f"{page.url}: touch targets under 44 px: {small}"


@pytest.fixture(params=LOCALES)
def locale(request: pytest.FixtureRequest) -> str:
    """Each test runs in every locale, unless it parametrizes ``locale`` itself."""
    chosen: str = request.param
    return chosen


@pytest.fixture
def say(locale: str) -> Say:
    """What the pages show in the test's locale: ``say("Paid")``."""
    return words(locale)


ApiAs = Callable[[str], Api]


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[ApiAs]:
    """``api("coord")``: an API client signed in as that demo person."""
    clients: list[Api] = []

    def as_user(username: str) -> Api:
        client = Api(live_server.base_url, username)
        clients.append(client)
        return client

    yield as_user
    for client in clients:
        client.close()
