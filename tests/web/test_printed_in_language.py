"""What is printed or sent to the bank speaks a language too: the member card and the sheet of
claim codes in the reader's language (the page's, or the API's ``Accept-Language``), and the
text of a redemption's bank transfer in the installation's language, Dutch."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import new_activity, new_batch, new_project
from tests.apps import app_for
from tests.support import Ledger
from tests.web.conftest import signed_in
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.kit.unit_of_work import write
from torekes.ledger import accounts
from torekes.redemption import payouts, redemptions, settlements
from torekes.settings import Settings
from torekes.spending import cards

API = "/api/v1"


def test_the_member_card_prints_in_the_readers_language(settings: Settings, ledger: Ledger) -> None:
    ledger.currency()
    member = ledger.user(Role.MEMBER, "fatima")
    admin = ledger.admin
    card = write(
        ledger.db, admin.principal, lambda ctx: cards.issue_card(ctx, settings, member.id, "4826")
    )
    with signed_in(settings, admin.principal.username) as browser:
        dutch = browser.get(f"/admin/cards/{card.id}/print").text
        english = browser.get(f"/admin/cards/{card.id}/print", headers={"Accept-Language": "en"})
    assert '<html lang="nl"' in dutch
    assert "Gevonden? Breng hem naar het buurtloket." in dutch
    assert "Found?" not in dutch
    assert "Found? Bring it to the neighbourhood counter." in english.text
    with TestClient(app_for(settings)) as client:
        api = client.get(
            f"{API}/cards/{card.id}/print",
            headers={**admin.headers, "Accept-Language": "en-GB, nl;q=0.5"},
        )
        default = client.get(f"{API}/cards/{card.id}/print", headers=admin.headers)
    assert '<html lang="en"' in api.text
    assert "Member card" in api.text
    assert "Ledenkaart" in default.text


def test_the_sheet_of_codes_prints_in_the_readers_language(
    settings: Settings, ledger: Ledger
) -> None:
    ledger.currency("TRK", 2)
    project = new_project(ledger, 10_000, name="Buurtmoestuin")
    activity = new_activity(ledger, project.id, title="Wieden", reward_amount=1_250)
    batch = new_batch(ledger, activity.id, count=2)
    path = f"{API}/code-batches/{batch.id}/sheet"
    with TestClient(app_for(settings)) as client:
        dutch = client.get(path, headers=ledger.admin.headers).text
        english = client.get(path, headers={**ledger.admin.headers, "Accept-Language": "en"}).text
    assert "12.50 TRK per claim · batch" in english
    assert "Print this page" in english
    assert "reeks 1, 2 codes" in dutch
    assert "Druk deze pagina af" in dutch
    assert "Print this page" not in dutch


def test_the_bank_transfer_text_of_a_redemption_is_dutch(
    settings: Settings, ledger: Ledger
) -> None:
    settings = settings.model_copy(
        update={"payout_name": "Torekes vzw", "payout_iban": "BE68539007547034"}
    )
    ledger.currency("TRK", 2)
    keeper = ledger.user(Role.SHOPKEEPER, "bakker")
    admin = ledger.admin.principal
    shop = write(
        ledger.db,
        admin,
        lambda ctx: accounts.open_account(
            ctx, accounts.AccountCommand("TRK", AccountKind.SHOP, "Bakkerij", keeper.id)
        ),
    )
    member = ledger.funded_member(ledger.user(Role.MEMBER, "fatima"), 10_000)
    ledger.transfer(member.id, shop.id, 10_000, ledger.admin.principal)
    write(
        ledger.db,
        keeper.principal,
        lambda ctx: payouts.set_payout_details(ctx, shop.id, "BE71 0961 2345 6769", "Bakkerij"),
    )
    asked = write(
        ledger.db, keeper.principal, lambda ctx: redemptions.request(ctx, shop.id, 1_500, "")
    )
    write(ledger.db, admin, lambda ctx: redemptions.approve(ctx, asked.id))
    made = write(ledger.db, admin, lambda ctx: settlements.create(ctx, "TRK"))
    xml = settlements.export_pain_001(ledger.db, settings, admin, made.id).decode()
    assert f"<Ustrd>Torekes inwisseling {asked.id}: 15,00 TRK</Ustrd>" in xml
