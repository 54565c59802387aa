"""Every refusal of a form is that form drawn again: each form of the pages is sent with a bad
value of each kind (too long, the wrong kind, missing, out of range), in Dutch and in English, and
the answer is the form's page in that language, with the message next to the field it is about
and every other value typed still in its field (but never a password or PIN)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as member
from html import escape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import form_fields
from tests.web.demo_scene import Scene, _flattened, build
from torekes.app import build_app
from torekes.db import models as m
from torekes.db.engine import Database
from torekes.domain.access import Principal, Role
from torekes.earning import claim_codes
from torekes.settings import Settings
from torekes.web import i18n
from torekes.web.form_pages import form_page

LANGUAGES = ("nl", "en")
CONTROL = re.compile(r'<(input|select|textarea)\b[^>]*\bname="([^"]+)"')


# How the amount reader's refusal of letters shows a number, in each language.
DIGITS_EXAMPLE = {"nl": "1.250", "en": "1,250"}


@dataclass(frozen=True)
class Bad:
    """A form sent with one bad value: who sends it, from which page, to which action; what
    else was typed (which must come back); the bad field and value; the message (an English
    msgid and its values) said next to that field; and what must not come back."""

    who: str | None
    page: str
    action: str
    typed: dict[str, str]
    field: str
    value: str
    message: str
    # Its values; a number written as each language writes it is a mapping by language.
    params: dict[str, str | dict[str, str]] = member(default_factory=dict)
    secrets: tuple[str, ...] = ()
    checked: tuple[str, ...] = ()  # choices and boxes that must come back chosen


ACTIVITY = {
    "title": "Sweeping the square",
    "description": "Every Saturday morning",
    "reward_kind": "per_hour",
    "max_hours": "3",
    "capacity": "10",
}
BADS: dict[str, Bad] = {
    "pay, wrong kind": Bad(
        "fatima",
        "/p/{code}",
        "/p/{code}",
        {},
        "amount",
        "abc",
        "Type only digits, like %(example)s.",
        {"example": DIGITS_EXAMPLE},
    ),
    "pay, missing": Bad(
        "fatima", "/p/{code}", "/p/{code}", {}, "amount", "", "Type the amount to pay."
    ),
    "pay, too long": Bad(
        "fatima",
        "/p/{code}",
        "/p/{code}",
        {},
        "amount",
        "1" * 31,
        "At most %(max_length)s characters.",
        {"max_length": "30"},
    ),
    "claim, out of range": Bad(
        "fatima",
        "{weeding_code}",
        "{weeding_code}",
        {},
        "hours",
        "9",
        "Type between %(min_hours)s and %(max_hours)s hours.",
        # The garden's weeding pays 50 an hour: the fewest hours that earn one token.
        {"min_hours": {"nl": "0,02", "en": "0.02"}, "max_hours": "4"},
    ),
    "claim, too long": Bad(
        "fatima",
        "{weeding_code}",
        "{weeding_code}",
        {},
        "hours",
        "anderhalf uur",
        "At most %(max_length)s characters.",
        {"max_length": "10"},
    ),
    "till, wrong kind": Bad(
        "bakker",
        "/till",
        "/till",
        {"memo": "Brood & koffie"},
        "amount",
        "abc",
        "Type only digits, like %(example)s.",
        {"example": DIGITS_EXAMPLE},
    ),
    "till, too long": Bad(
        "bakker",
        "/till",
        "/till",
        {"amount": "4,50"},
        "memo",
        "m" * 201,
        "At most %(max_length)s characters.",
        {"max_length": "200"},
    ),
    "card payment, missing": Bad(
        "bakker",
        "/shop/card",
        "/shop/card",
        {"card": "1234 5678", "memo": "Soep"},
        "amount",
        "",
        "Type the amount to pay.",
    ),
    "refund, wrong kind": Bad(
        "bakker",
        "/shop",
        "/shop/payments/{bakker_payment}/refund",
        {"reason": "Te veel aangerekend"},
        "amount",
        "twee",
        "Type only digits, like %(example)s.",
        {"example": DIGITS_EXAMPLE},
    ),
    "redeem, out of range": Bad(
        "bakker",
        "/shop/redeem",
        "/shop/redeem",
        {"memo": "De maand mei"},
        "amount",
        "-5",
        "Type the number without + or -.",
    ),
    "payout details, wrong kind": Bad(
        "bakker",
        "/shop/redeem",
        "/shop/redeem/payout",
        {"payout_name": "Bakkerij De Toren"},
        "iban",
        "NL00 NOPE",
        "That IBAN is not valid. Check the country, the length and the digits.",
    ),
    "activity, wrong kind": Bad(
        "coord",
        "/projects/{project_id}",
        "/projects/{project_id}/activities",
        ACTIVITY,
        "reward_amount",
        "vijf",
        "Type only digits, like %(example)s.",
        {"example": DIGITS_EXAMPLE},
        checked=('value="per_hour" checked',),
    ),
    "activity, missing": Bad(
        "coord",
        "/projects/{project_id}",
        "/projects/{project_id}/activities",
        {**ACTIVITY, "reward_amount": "5"},
        "title",
        "",
        "Give the activity a name of at most 200 characters.",
        checked=('value="per_hour" checked',),
    ),
    "sheet, out of range": Bad(
        "coord",
        "/activities/{activity_id}",
        "/activities/{activity_id}/sheets",
        {"kind": "multi", "max_uses": "20"},
        "count",
        "501",
        "A sheet holds 1 to 500 codes.",
        checked=('value="multi" checked',),
    ),
    "claims decision, too long": Bad(
        "coord",
        "/projects/{project_id}/claims",
        "/projects/{project_id}/claims",
        {"decision": "reject"},
        "reason",
        "r" * 1001,
        "At most %(max_length)s characters.",
        {"max_length": "1000"},
    ),
    "new user, missing": Bad(
        "admin",
        "/admin/users",
        "/admin/users",
        {"username": "nieuwe.buur", "role": "shopkeeper", "password": "a-secret-password"},
        "display_name",
        " ",
        "Type the person's name.",
        secrets=("a-secret-password",),
        checked=('value="shopkeeper" selected',),
    ),
    "new card, wrong kind": Bad(
        "admin",
        "/admin/cards",
        "/admin/cards",
        {"pin": "4821"},
        "member_id",
        "tien",
        "Type the member's number (see Users).",
        secrets=('value="4821"',),
    ),
    "payout by an administrator, missing": Bad(
        "admin",
        "/admin/accounts/{shop_id}",
        "/admin/accounts/{shop_id}/payout",
        {"iban": "BE68539007547034"},
        "payout_name",
        "",
        "Type the name the bank pays to.",
    ),
    "new password, not the same": Bad(
        "jonas",
        "/account",
        "/account/password",
        {"current_password": "the-password-now", "new_password": "a-new-password"},
        "repeat_password",
        "another-password",
        "The two new ones are not the same. Type them again.",
        secrets=("the-password-now", "a-new-password", "another-password"),
    ),
}


@pytest.fixture
def scene(db: Database, settings: Settings) -> Scene:
    found = build(db, settings)
    with db.read_session() as session:
        admin = session.scalars(select(m.User).where(m.User.username == "admin")).one()
        bakker = session.scalars(select(m.User).where(m.User.username == "bakker")).one()
        shop_id = session.scalars(
            select(m.Account.id).where(m.Account.owner_id == bakker.id, m.Account.kind == "shop")
        ).first()
        payment = session.scalars(
            select(m.Payment.transaction_id)
            .where(m.Payment.shop_account_id == shop_id, m.Payment.refunded_amount == 0)
            .order_by(m.Payment.id.desc())
        ).first()
    operator = Principal(admin.id, "admin", Role.ADMIN)
    weeding = claim_codes.get_batch(db, found.settings, operator, int(found.params["batch_id"]))
    unused = weeding.codes[-1].url.split("/c/", 1)[1]
    params = {
        **found.params,
        "shop_id": str(shop_id),
        "weeding_code": f"/c/{unused}",
        "bakker_payment": str(payment),
    }
    return Scene(found.settings, found.db, params)


def _said(lang: str, bad: Bad) -> str:
    params = {name: v if isinstance(v, str) else v[lang] for name, v in bad.params.items()}
    said: str = i18n.translations(lang).gettext(bad.message) % params
    if lang == "nl":
        assert said != bad.message % params, f"no Dutch for {bad.message!r}"
    return said


def _next_control(page: str, after: int) -> str:
    found = CONTROL.search(page, after)
    assert found is not None, page
    return found.group(2)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", sorted(BADS))
def test_a_refused_form_is_drawn_again_with_what_was_typed(
    scene: Scene, lang: str, case: str
) -> None:
    bad = BADS[case]
    browser: TestClient = scene.browser(bad.who)
    page = browser.get(scene.path(bad.page), headers={"Accept-Language": lang})
    assert page.status_code == 200, page.text
    action = scene.path(bad.action)
    sent = {**form_fields(page.text, action), **bad.typed, bad.field: bad.value}
    answer = browser.post(action, data=sent, headers={"Accept-Language": lang})
    _drawn_again(answer.text, answer.status_code, answer.headers["content-type"], lang, bad)


def _drawn_again(text: str, status: int, kind: str, lang: str, bad: Bad) -> None:
    assert status in {409, 422}, text
    assert kind.startswith("text/html")
    assert f'<html lang="{lang}"' in text
    said = escape(_said(lang, bad), quote=False)
    # The message stands right before the field it is about (and at the top of the page).
    problem = re.search(rf'<span class="problem" id="[^"]+-problem">{re.escape(said)}</span>', text)
    assert problem is not None, (said, text)
    assert _next_control(text, problem.end()) == bad.field
    assert re.search(rf'role="alert"><a href="#{bad.field}">{re.escape(said)}</a>', text), text
    for name, value in bad.typed.items():
        if name == bad.field or any(value in secret for secret in bad.secrets):
            continue
        if name in {"reward_kind", "kind", "role", "decision"}:
            continue  # a choice: see ``checked``
        shown = escape(value)
        assert re.search(rf'name="{name}"[^>]* value="{re.escape(shown)}"', text) or (
            f">{shown}</textarea>" in text
        ), (name, value, text)
    for chosen in bad.checked:
        assert chosen in text, (chosen, text)
    for secret in bad.secrets:
        assert secret not in text


# Page routes taking a POST whose refusals are the plain refusal page, each with its reason.
PLAIN_REFUSALS = {
    "/logout": "a button with nothing typed, and nothing to refuse",
    "/admin/audit/checkpoint": "a button with nothing typed; drawing the audit page again would "
    "record a verification",
    "/till/poster/{shop_id}": "a button with nothing typed that makes the shop's standing QR",
    "/language/{code}": "the language switch writes nothing: it comes back to the page it was "
    "sent from, with what was typed there",
}


def test_every_form_names_the_page_it_is_drawn_on() -> None:
    """A new page route that takes a form is drawn again when refused, or says why not here."""
    posts = {
        route.path: route.endpoint
        for route in _flattened(build_app().router.routes)
        if "POST" in (route.methods or ()) and route.endpoint.__module__.startswith("torekes.web.")
    }
    unnamed = {path for path, endpoint in posts.items() if form_page(endpoint) is None}
    assert unnamed == set(PLAIN_REFUSALS)
