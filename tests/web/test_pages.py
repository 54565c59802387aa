"""The web pages' foundation: signing in and out with a session cookie, CSRF on every form, the
wallet, and the language of the pages (Dutch by default, English by the browser or by choice)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.apps import app_for
from tests.support import PASSWORD, Actor, Ledger
from tests.web.conftest import BASE, csrf_of
from torekes.app import create_app
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.settings import Settings
from torekes.web.session import SESSION_COOKIE, safe_next


@pytest.fixture
def browser(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app_for(settings), base_url=BASE) as client:
        yield client


@pytest.fixture
def member(ledger: Ledger) -> Actor:
    actor = ledger.user(Role.MEMBER, "fatima")
    ledger.funded_member(actor, 1250, currency=ledger.currency("EUT", decimals=2).code)
    return actor


def _sign_in(browser: TestClient, username: str, password: str = PASSWORD) -> None:
    form = browser.get("/login")
    response = browser.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _tokens(ledger: Ledger) -> int:
    with ledger.db.read_session() as session:
        return session.scalar(select(func.count()).select_from(m.ApiToken)) or 0


def test_pages_ask_to_sign_in_first_and_return_where_they_were(
    browser: TestClient, member: Actor
) -> None:
    away = browser.get("/", follow_redirects=False)
    assert (away.status_code, away.headers["location"]) == (303, "/login?next=/")
    form = browser.get("/login?next=/")
    assert form.status_code == 200
    assert '<label for="username">' in form.text
    assert '<label for="password">' in form.text
    signed_in = browser.post(
        "/login",
        data={"username": "fatima", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    wallet = browser.get("/")
    assert "12,50" in wallet.text  # Dutch: a decimal comma
    assert "EUT" in wallet.text


def test_the_session_cookie_is_httponly_and_samesite(browser: TestClient, member: Actor) -> None:
    form = browser.get("/login")
    response = browser.post(
        "/login",
        data={"username": "fatima", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    cookie = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith(f"{SESSION_COOKIE}=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # a plain-http development address


def test_an_https_installation_names_its_cookies_host_only_and_secure(
    settings: Settings, ledger: Ledger, member: Actor
) -> None:
    secure = settings.model_copy(update={"public_base_url": "https://torekes.example"})
    with TestClient(create_app(secure), base_url="https://torekes.example") as client:
        form = client.get("/login")
        pre_session = form.headers["set-cookie"]
        assert pre_session.startswith("__Host-torekes_csrf=")
        for attribute in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
            assert attribute in pre_session
        assert "Domain" not in pre_session
        response = client.post(
            "/login",
            data={"username": "fatima", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        set_cookies = response.headers.get_list("set-cookie")
        session = next(v for v in set_cookies if v.startswith(f"__Host-{SESSION_COOKIE}="))
        for attribute in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
            assert attribute in session
        assert "Domain" not in session
        # Signed in, the session binds the forms: the pre-session cookie is dropped.
        assert any(v.startswith('__Host-torekes_csrf=""') for v in set_cookies), set_cookies
        assert client.get("/", follow_redirects=False).status_code == 200
        chosen = client.get("/language/en?next=/", follow_redirects=False)
        assert chosen.headers["set-cookie"].startswith("__Host-torekes_lang=en")


def test_after_the_move_to_https_a_cookie_of_the_plain_name_signs_no_one_in(
    settings: Settings, ledger: Ledger, member: Actor
) -> None:
    with TestClient(app_for(settings), base_url=BASE) as plain:
        _sign_in(plain, "fatima")
        old = plain.cookies[SESSION_COOKIE]
    secure = settings.model_copy(update={"public_base_url": "https://torekes.example"})
    with TestClient(create_app(secure), base_url="https://torekes.example") as client:
        client.cookies.set(SESSION_COOKIE, old)
        away = client.get("/", follow_redirects=False)
        assert (away.status_code, away.headers["location"]) == (303, "/login?next=/")
        dropped = away.headers.get_list("set-cookie")
        assert any(v.startswith(f'{SESSION_COOKIE}=""') for v in dropped), dropped
        assert client.get("/login").status_code == 200


@pytest.mark.parametrize("token", ["", "0" * 64, "not-hex"])
def test_a_form_without_our_csrf_token_is_refused_and_changes_nothing(
    browser: TestClient, ledger: Ledger, member: Actor, token: str
) -> None:
    browser.get("/login")
    before = _tokens(ledger)
    response = browser.post(
        "/login",
        data={"username": "fatima", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "kwam niet van deze site" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert _tokens(ledger) == before


def test_a_token_from_another_browser_does_not_fit_this_one(
    settings: Settings, browser: TestClient, member: Actor
) -> None:
    with TestClient(app_for(settings), base_url=BASE) as other:
        stolen = csrf_of(other.get("/login").text)
    browser.get("/login")
    response = browser.post(
        "/login", data={"username": "fatima", "password": PASSWORD, "csrf_token": stolen}
    )
    assert response.status_code == 403


def test_a_wrong_password_says_so_in_plain_words(browser: TestClient, member: Actor) -> None:
    form = browser.get("/login")
    response = browser.post(
        "/login",
        data={"username": "fatima", "password": "wrong-password", "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 401
    assert "horen niet bij elkaar" in response.text
    assert 'role="alert"' in response.text
    assert SESSION_COOKIE not in browser.cookies


def test_sign_in_attempts_are_rate_limited(browser: TestClient, member: Actor) -> None:
    statuses = []
    for _ in range(6):  # the test settings allow five failures
        form = browser.get("/login")
        response = browser.post(
            "/login",
            data={"username": "fatima", "password": "wrong", "csrf_token": csrf_of(form.text)},
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]
    assert "Te veel pogingen" in response.text


def test_signing_out_revokes_the_session(browser: TestClient, member: Actor) -> None:
    _sign_in(browser, "fatima")
    token = browser.cookies[SESSION_COOKIE]
    wallet = browser.get("/")
    refused = browser.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert refused.status_code == 403
    assert browser.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).is_success
    out = browser.post("/logout", data={"csrf_token": csrf_of(wallet.text)}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    revoked = browser.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_the_wallet_shows_only_ones_own_accounts(browser: TestClient, ledger: Ledger) -> None:
    ledger.currency()
    fatima = ledger.user(Role.MEMBER, "fatima")
    own = ledger.funded_member(fatima, 40)
    other = ledger.funded_member(ledger.user(Role.MEMBER, "jonas"), 75)
    _sign_in(browser, "fatima")
    page = browser.get("/").text
    assert f'id="account-{own.id}"' in page
    assert ">Portemonnee van Fatima<" in page  # its owner's name, in the page's language
    assert f'id="account-{other.id}"' not in page
    assert "Jonas" not in page


def test_dutch_by_default_english_by_the_browser_or_by_choice(
    browser: TestClient, member: Actor
) -> None:
    dutch = browser.get("/login")
    assert '<html lang="nl" dir="ltr">' in dutch.text
    assert "Wachtwoord" in dutch.text
    english = browser.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"})
    assert '<html lang="en"' in english.text
    assert "Password" in english.text
    unknown = browser.get("/login", headers={"Accept-Language": "sw"})
    assert '<html lang="nl"' in unknown.text
    chosen = browser.get("/language/en?next=/login", follow_redirects=False)
    assert chosen.headers["location"] == "/login"
    assert '<html lang="en"' in browser.get("/login").text
    _sign_in(browser, "fatima")
    assert "12.50" in browser.get("/").text  # English: a decimal point


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        (None, "/"),
        ("/c/abc", "/c/abc"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("wallet", "/"),
    ],
)
def test_after_signing_in_only_this_sites_pages(asked: str | None, goes: str) -> None:
    assert safe_next(asked) == goes


def test_static_files_are_served(browser: TestClient) -> None:
    css = browser.get("/static/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "min-height: 44px" in css.text


def test_switching_the_language_comes_back_to_the_same_page_and_its_query(
    browser: TestClient,
) -> None:
    form = browser.get("/login?next=/c/abc", headers={"Accept-Language": "nl"})
    assert 'href="/language/en?next=/login%3Fnext%3D/c/abc"' in form.text
    chosen = browser.get("/language/en?next=/login%3Fnext%3D/c/abc", follow_redirects=False)
    assert chosen.headers["location"] == "/login?next=/c/abc"
