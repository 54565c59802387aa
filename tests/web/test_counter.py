"""Acting for a member at the counter, as pages: a shopkeeper shows a member's balance and
history with the member's card and PIN (a mistyped number refused before the PIN is asked), a
coordinator records a claim for a member the same way, and an attendance list records each
listed member's claim with every line's outcome. Each act shows who did it for whom; a double tap
acts once; other roles are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import new_activity, new_project
from tests.support import Actor, Ledger
from tests.web.conftest import form_fields, hidden_fields, new_form, post_forms, signed_in
from torekes.db import models as m
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import AccountKind
from torekes.earning.read_models import ActivityView
from torekes.kit.unit_of_work import write
from torekes.ledger.read_models import AccountView
from torekes.settings import Settings
from torekes.spending import cards, payments
from torekes.spending.read_models import CardView

PIN = "2468"
ENGLISH = {"Accept-Language": "en"}


@dataclass(frozen=True)
class Scene:
    fatima: Actor
    wallet: AccountView
    card: CardView
    omar: Actor
    omar_card: CardView
    weeding: ActivityView


def _issue(ledger: Ledger, settings: Settings, member: Actor) -> CardView:
    return write(
        ledger.db,
        ledger.admin.principal,
        lambda ctx: cards.issue_card(ctx, settings, member.id, PIN),
    )


@pytest.fixture
def scene(ledger: Ledger, settings: Settings) -> Scene:
    ledger.currency("TRK")
    keeper = ledger.user(Role.SHOPKEEPER, "bakker")
    ledger.account(AccountKind.SHOP, keeper, "TRK")
    chris = ledger.user(Role.COORDINATOR, "chris")
    ledger.user(Role.COORDINATOR, "olga")
    garden = new_project(ledger, 1000, chris, name="Garden")
    weeding = new_activity(
        ledger,
        garden.id,
        title="Weeding",
        reward_amount=25,
        per_member_limit=1,
        requires_approval=False,
    )
    fatima = ledger.user(Role.MEMBER, "fatima")
    wallet = ledger.funded_member(fatima, 100, "TRK")
    omar = ledger.user(Role.MEMBER, "omar")
    ledger.account(AccountKind.MEMBER, omar, "TRK")
    return Scene(
        fatima,
        wallet,
        _issue(ledger, settings, fatima),
        omar,
        _issue(ledger, settings, omar),
        weeding,
    )


@pytest.fixture
def keeper(settings: Settings, scene: Scene) -> Iterator[TestClient]:
    with signed_in(settings, "bakker") as client:
        yield client


@pytest.fixture
def coordinator(settings: Settings, scene: Scene) -> Iterator[TestClient]:
    with signed_in(settings, "chris") as client:
        yield client


def _balance(ledger: Ledger, account_id: int) -> int:
    with ledger.db.read_session() as session:
        account = session.get(m.Account, account_id)
        assert account is not None
        return account.balance


def _pin_page(client: TestClient, form: str, card: str, **more: str) -> str:
    page = client.get(form)
    asked = client.post(form, data={**new_form(page.text), "card": card, **more})
    return asked.text


def _agree(client: TestClient, pin_page: str, pin: str = PIN) -> httpx2.Response:
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="pin-form"', pin_page)
    assert action is not None, pin_page
    return client.post(action.group(1), data={**hidden_fields(pin_page), "pin": pin})


def _claims(ledger: Ledger) -> list[m.Claim]:
    with ledger.db.read_session() as session:
        return list(session.query(m.Claim).order_by(m.Claim.id))


# --- a member's statement ----------------------------------------------------------------------


def test_a_shopkeeper_shows_a_members_balance_and_history_with_their_pin(
    keeper: TestClient, scene: Scene
) -> None:
    pin_page = _pin_page(keeper, "/counter/member", scene.card.number)
    assert "Geef het toestel aan het lid" in pin_page
    assert "Fatima" not in pin_page  # the card is named only with its PIN
    shown = _agree(keeper, pin_page)
    assert shown.status_code == 200, shown.text
    text = shown.text
    assert 'id="statement"' in text
    assert re.search(r'class="member-balance">\s*<p class="balance"><span class="amount">100', text)
    assert "Getoond door Bakker voor Fatima" in text
    assert 'aria-label="Menu"' not in text  # turned towards the member: no menu
    again = _agree(keeper, pin_page)  # a double tap: the same page, the PIN not tried again
    assert again.status_code == 200
    assert "Getoond door Bakker voor Fatima" in again.text


@pytest.mark.parametrize("act", ["statement", "claim"])
def test_the_back_button_after_an_act_shows_the_same_outcome_and_acts_once(
    keeper: TestClient, coordinator: TestClient, ledger: Ledger, scene: Scene, act: str
) -> None:
    """The first step sent again (the back button) draws the PIN page with the first step's own
    key: the PIN typed again finds the first outcome, and nothing is done twice."""
    client, form, more = (
        (keeper, "/counter/member", {})
        if act == "statement"
        else (coordinator, f"/activities/{scene.weeding.id}/claim-for", {"hours": "3"})
    )
    first_step = {**form_fields(client.get(form).text, form), "card": scene.card.number, **more}
    assert first_step["key"]
    pin_page = client.post(form, data=first_step).text
    assert hidden_fields(pin_page)["key"] == first_step["key"]
    done = _agree(client, pin_page)
    assert done.status_code < 400, done.text
    again = _agree(client, client.post(form, data=first_step).text)
    assert again.status_code == done.status_code
    assert again.text == done.text
    assert len(_claims(ledger)) == (0 if act == "statement" else 1)
    assert _balance(ledger, scene.wallet.id) == (100 if act == "statement" else 125)
    with ledger.db.read_session() as session:
        shown = session.query(m.AuditEvent).filter_by(action="member.statement_shown").count()
    assert shown == (1 if act == "statement" else 0)


@pytest.mark.parametrize("act", ["statement", "claim"])
def test_a_first_step_without_its_key_is_refused(
    keeper: TestClient, coordinator: TestClient, scene: Scene, act: str
) -> None:
    client, form, more = (
        (keeper, "/counter/member", {})
        if act == "statement"
        else (coordinator, f"/activities/{scene.weeding.id}/claim-for", {"hours": "3"})
    )
    fields = form_fields(client.get(form).text, form)
    sent = {"csrf_token": fields["csrf_token"], "card": scene.card.number, **more}
    refused = client.post(form, data=sent)
    assert refused.status_code == 422, refused.text
    assert 'id="pin-form"' not in refused.text


@pytest.mark.parametrize("act", ["statement", "claim"])
def test_the_pin_page_handed_to_the_member_has_no_menu_nor_sign_out(
    keeper: TestClient, coordinator: TestClient, scene: Scene, act: str
) -> None:
    client, form, more = (
        (keeper, "/counter/member", {})
        if act == "statement"
        else (coordinator, f"/activities/{scene.weeding.id}/claim-for", {"hours": "3"})
    )
    first = _pin_page(client, form, scene.card.number, **more)
    wrong = _agree(client, first, pin="1111")
    assert wrong.status_code == 403
    for page in (first, wrong.text):
        assert 'id="pin-form"' in page
        hrefs = re.findall(r'href="([^"]*)"', page)
        assert hrefs == [*[h for h in hrefs if h.startswith("/static/")], form]  # only cancel
        assert [action for action, _ in post_forms(page)] == [
            f"{form}/" + ("show" if act == "statement" else "record")
        ]
        assert 'aria-label="Menu"' not in page


def test_the_statement_says_each_line_as_the_members_wallet_does(
    keeper: TestClient, coordinator: TestClient, ledger: Ledger, scene: Scene
) -> None:
    """A reward names its activity, a payment its shop and a refund says it is one, though none
    of them has a memo; a memo typed is shown with the line."""
    claim_form = f"/activities/{scene.weeding.id}/claim-for"
    assert _agree(coordinator, _pin_page(coordinator, claim_form, scene.card.number)).is_success
    card_form = keeper.get("/shop/card").text
    shop = re.search(r'name="shop" value="(\d+)"', card_form)
    assert shop is not None
    for memo in ("", "Brood"):
        sent = {"shop": shop.group(1), "amount": "10", "card": scene.card.number, "memo": memo}
        paid = _agree(keeper, keeper.post("/shop/card", data={**new_form(card_form), **sent}).text)
        assert paid.status_code == 200, paid.text
    with ledger.db.read_session() as session:
        shop_name = session.get(m.Account, int(shop.group(1))).name  # type: ignore[union-attr]
        first = session.query(m.Payment).order_by(m.Payment.id).first()
        bakker = session.query(m.User).filter_by(username="bakker").one()
    assert first is not None
    who = Principal(bakker.id, "bakker", Role.SHOPKEEPER)
    write(ledger.db, who, lambda ctx: payments.refund(ctx, first.transaction_id, 4, ""))

    shown = _agree(keeper, _pin_page(keeper, "/counter/member", scene.card.number)).text
    rows = re.findall(r'<td class="what">(.*?)</td>', shown, re.S)
    assert len(rows) == 5, shown  # the funding, the reward, two payments and the refund
    assert "Beloning: Weeding" in rows
    assert rows.count(f"Betaling aan {shop_name}") == 1
    assert f'Betaling aan {shop_name}<span class="note-typed">Brood</span>' in rows
    assert [row for row in rows if row.startswith("Terugbetaling van betaling")]
    assert "" not in rows


def test_a_mistyped_card_number_is_refused_before_the_pin_is_asked(
    keeper: TestClient, ledger: Ledger, scene: Scene
) -> None:
    digits = scene.card.number.replace(" ", "")
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    page = keeper.get("/counter/member")
    refused = keeper.post("/counter/member", data={**new_form(page.text), "card": typo})
    assert refused.status_code == 422
    assert re.search(r'id="card-problem">[^<]*verkeerd getypt', refused.text)  # by the field
    assert f'value="{typo}"' in refused.text
    assert 'id="pin-form"' not in refused.text
    with ledger.db.read_session() as session:
        assert session.query(m.PinAttempt).count() == 0


def test_a_wrong_pin_asks_again_and_counts_against_the_card(
    keeper: TestClient, ledger: Ledger, scene: Scene
) -> None:
    wrong = _agree(keeper, _pin_page(keeper, "/counter/member", scene.card.number), pin="1111")
    assert wrong.status_code == 403
    assert "Je mag nog 4 keer proberen" in wrong.text
    with ledger.db.read_session() as session:
        card = session.get(m.MemberCard, scene.card.id)
        assert card is not None
        assert card.pin_failures == 1


@pytest.mark.parametrize("username", ["chris", "fatima"])
def test_other_roles_cannot_show_a_members_statement(
    settings: Settings, scene: Scene, username: str
) -> None:
    with signed_in(settings, username) as other:
        assert other.get("/counter/member").status_code == 403


# --- a claim for a member ----------------------------------------------------------------------


def test_a_coordinator_records_a_claim_for_a_member_with_their_pin(
    coordinator: TestClient, ledger: Ledger, scene: Scene, settings: Settings
) -> None:
    activity_page = coordinator.get(f"/activities/{scene.weeding.id}")
    assert f'href="/activities/{scene.weeding.id}/claim-for"' in activity_page.text
    form = f"/activities/{scene.weeding.id}/claim-for"
    pin_page = _pin_page(coordinator, form, scene.card.number, hours="3")
    recorded = _agree(coordinator, pin_page)
    assert recorded.status_code == 201, recorded.text
    assert "Geregistreerd door Chris voor Fatima" in recorded.text
    again = _agree(coordinator, pin_page)
    assert again.status_code == 201
    [claim] = _claims(ledger)
    assert claim.member_id == scene.fatima.id
    assert claim.recorded_by_id is not None
    assert claim.hours is not None
    assert _balance(ledger, scene.wallet.id) == 125
    with signed_in(settings, "fatima") as member:
        assert "door Chris voor Fatima" in member.get("/").text  # her wallet says who
    with signed_in(settings, "root-admin") as admin:
        audit = admin.get("/admin/audit").text
        assert "Claim geregistreerd" in audit
        assert "door Chris voor Fatima" in audit


def test_a_claim_for_a_member_is_refused_in_plain_words_past_the_limit(
    coordinator: TestClient, scene: Scene
) -> None:
    form = f"/activities/{scene.weeding.id}/claim-for"
    _agree(coordinator, _pin_page(coordinator, form, scene.card.number))
    refused = _agree(coordinator, _pin_page(coordinator, form, scene.card.number))
    assert refused.status_code == 409
    # The claim's form again, the card kept, saying it of the member, not of the coordinator.
    assert f'value="{scene.card.number}"' in refused.text
    assert "Dit lid heeft dit al zo vaak geclaimd als mag." in refused.text


def test_a_coordinator_of_another_project_cannot_record_a_claim_there(
    settings: Settings, ledger: Ledger, scene: Scene
) -> None:
    with signed_in(settings, "olga") as olga:
        form = f"/activities/{scene.weeding.id}/claim-for"
        assert olga.get(form).status_code == 403
    assert _claims(ledger) == []


# --- an attendance list ------------------------------------------------------------------------


def test_an_attendance_list_shows_each_lines_outcome(
    coordinator: TestClient, ledger: Ledger, scene: Scene
) -> None:
    form = coordinator.get(f"/activities/{scene.weeding.id}/attendance")
    assert form.status_code == 200
    listed = "\n".join([scene.card.number, scene.omar_card.number, scene.card.number, "123"])
    done = coordinator.post(
        f"/activities/{scene.weeding.id}/attendance",
        data={**hidden_fields(form.text), "cards": listed, "hours": ""},
    )
    assert done.status_code == 200, done.text
    assert "2 van 4 geregistreerd" in done.text
    assert re.search(r'id="line-3" class="state-rejected">[^<]*<span', done.text)
    assert "Twee keer op de lijst" in done.text  # line 3: Fatima's card again, not claimed
    assert "Verkeerd getypt" in done.text  # line 4
    again = coordinator.post(
        f"/activities/{scene.weeding.id}/attendance",
        data={**hidden_fields(form.text), "cards": listed, "hours": ""},
    )
    assert again.text == done.text  # a double tap: recorded once, the same outcome
    assert len(_claims(ledger)) == 2
    assert _balance(ledger, scene.wallet.id) == 125


def test_the_counter_pages_in_english(
    coordinator: TestClient, keeper: TestClient, scene: Scene
) -> None:
    form = coordinator.get(f"/activities/{scene.weeding.id}/attendance", headers=ENGLISH)
    assert "Attendance list" in form.text
    assert "A member\u2019s balance" in keeper.get("/counter/member", headers=ENGLISH).text


def test_hours_the_activity_refuses_are_refused_before_any_card_or_pin(
    coordinator: TestClient, ledger: Ledger, scene: Scene
) -> None:
    """Hours out of the activity's range are everyone's problem on the form: the claim for a
    member refuses them before the device goes to the member, an attendance list as a whole."""
    claim_for = f"/activities/{scene.weeding.id}/claim-for"
    asked = coordinator.post(
        claim_for,
        data={
            **new_form(coordinator.get(claim_for).text),
            "card": scene.card.number,
            "hours": "30",
        },
    )
    assert asked.status_code == 422
    assert 'id="pin-form"' not in asked.text  # the member is not handed the device
    assert re.search(r'id="hours-problem">Typ tussen [0-9,]+ en 24 uur', asked.text)
    assert f'value="{scene.card.number}"' in asked.text
    attendance = f"/activities/{scene.weeding.id}/attendance"
    listed = "\n".join([scene.card.number, scene.omar_card.number])
    refused = coordinator.post(
        attendance,
        data={**hidden_fields(coordinator.get(attendance).text), "cards": listed, "hours": "30"},
    )
    assert refused.status_code == 422
    assert re.search(r'id="hours-problem">Typ tussen [0-9,]+ en 24 uur', refused.text)
    assert scene.omar_card.number in refused.text  # the list is kept
    assert _claims(ledger) == []


def test_every_line_refusal_is_said_without_values_it_cannot_carry() -> None:
    """A line's outcome keeps only its code: every code's words must draw without values."""
    from torekes.web.counter.attendance import _said
    from torekes.web.problems import PLAIN_WORDS

    for code in PLAIN_WORDS:
        said = _said(code)
        assert said % {} == said, code
