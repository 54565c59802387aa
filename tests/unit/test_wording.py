"""The words the service writes about money, from kinds and parameters, in Dutch and English,
with dates and numbers as Belgium writes them; no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from torekes.kit import languages, wording
from torekes.kit.wording import AccountNaming, Description

MOMENT = datetime(2026, 12, 6, 13, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("description", "dutch", "english"),
    [
        (Description("reward", activity="Wieden"), "Beloning: Wieden", "Reward: Wieden"),
        (Description("payment", shop="Bakkerij"), "Betaling aan Bakkerij", "Payment to Bakkerij"),
        (
            Description("refund", shop="Bakkerij", payment_id=12),
            "Terugbetaling van betaling 12 bij Bakkerij",
            "Refund of payment 12 at Bakkerij",
        ),
        (
            Description("redemption", redemption_id=3, euro_cents=123_450),
            "Inwisseling 3: € 1.234,50",
            "Redemption 3: €1,234.50",
        ),
        (
            Description("reversal", reversed_id=7),
            "Terugdraaiing van transactie 7",
            "Reversal of transaction 7",
        ),
        (Description("transfer", note="Welkom"), "Overschrijving", "Transfer"),
        (Description("issuance"), "Financiering", "Funding"),
        (Description("adjustment"), "Correctie", "Adjustment"),
        # Without its parameters (a row whose activity is gone) a line still says its kind.
        (Description("reward"), "Beloning", "Reward"),
        (Description("something-new"), "something-new", "something-new"),
    ],
)
def test_a_transaction_is_described_from_its_kind_and_parameters(
    description: Description, dutch: str, english: str
) -> None:
    assert wording.describe(description, "nl").replace("\xa0", " ") == dutch
    assert wording.describe(description, "en").replace("\xa0", " ") == english


@pytest.mark.parametrize(
    ("naming", "dutch", "english"),
    [
        (
            AccountNaming("member", "Jonas's wallet", owner="Jonas"),
            "Portemonnee van Jonas",
            "Jonas's wallet",
        ),
        (
            AccountNaming("budget", "Garden budget", project="Buurtmoestuin"),
            "Budget van Buurtmoestuin",
            "Buurtmoestuin budget",
        ),
        (AccountNaming("issuance", "TRK issuance", currency="TRK"), "Uitgifte TRK", "TRK issuance"),
        (
            AccountNaming("redemption", "TRK redemption", currency="TRK"),
            "Inwisseling TRK",
            "TRK redemption",
        ),
        (AccountNaming("shop", "Bakkerij Rabot", owner="Bram"), "Bakkerij Rabot", "Bakkerij Rabot"),
    ],
)
def test_accounts_are_named_from_their_kind_and_owner(
    naming: AccountNaming, dutch: str, english: str
) -> None:
    assert wording.account_name(naming, "nl") == dutch
    assert wording.account_name(naming, "en") == english


@pytest.mark.parametrize("code", ["nl", "en"])
def test_dates_as_belgium_writes_them_and_numbers_as_the_language_does(code: str) -> None:
    assert wording.moment_text(MOMENT, code, "Europe/Brussels") == "06-12-2026 14:05"
    # English writes 1,234.50 as the pages' amount reader reads it back; Dutch 1.234,50.
    written = {"nl": ("1.234,50", "1.000"), "en": ("1,234.50", "1,000")}[code]
    assert (wording.amount_text(123_450, 2, code), wording.amount_text(1_000, 0, code)) == written
    assert languages.locale_of(code) == f"{code}_BE"


def test_a_language_belgium_has_no_locale_for_writes_as_the_language_does() -> None:
    assert languages.locale_of("ar") == "ar"


def test_the_bank_transfer_text_is_written_in_the_language_asked() -> None:
    assert (
        wording.redemption_remittance(12, "150,00", "TRK", "nl")
        == "Torekes inwisseling 12: 150,00 TRK"
    )
    assert (
        wording.redemption_remittance(12, "150,00", "TRK", "en")
        == "Torekes redemption 12: 150,00 TRK"
    )
