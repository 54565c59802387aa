"""The words the system writes about money, made from a kind and its parameters in a language.

The journal keeps no sentence of its own: a transaction's memo holds only what a person typed
(a payment request's text, a refund's or a reversal's reason, an administrator's note), and its
kind and metadata say the rest. This module turns them into a line of text in the reader's
language, for the pages, the printed documents and the bank files alike; so do the names of
accounts a person did not name (a member's wallet, a project's budget, a currency's own
accounts), which are written from their kind and their owner's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from torekes.domain.accounts import AccountKind
from torekes.domain.entries import TransactionKind
from torekes.kit.languages import N_, gettext_for, locale_of, number_locale

KIND_NAMES: dict[str, str] = {
    TransactionKind.ISSUANCE: N_("Funding"),
    TransactionKind.TRANSFER: N_("Transfer"),
    TransactionKind.REWARD: N_("Reward"),
    TransactionKind.PAYMENT: N_("Payment"),
    TransactionKind.REFUND: N_("Money back"),
    TransactionKind.REDEMPTION: N_("Redemption"),
    TransactionKind.ADJUSTMENT: N_("Adjustment"),
    TransactionKind.REVERSAL: N_("Reversal"),
}


@dataclass(frozen=True, slots=True)
class Description:
    """What a transaction is about: its kind, the parameters its words need, and ``note``, what
    a person typed about it (empty when nobody did)."""

    kind: str
    activity: str | None = None
    shop: str | None = None
    payment_id: int | None = None
    redemption_id: int | None = None
    euro_cents: int | None = None
    reversed_id: int | None = None
    note: str = ""


def describe(description: Description, code: str) -> str:
    """The transaction's line in the language ``code`` ("Beloning: Tuinwerk")."""
    _ = gettext_for(code)
    d = description
    if d.kind == TransactionKind.REWARD and d.activity is not None:
        return _("Reward: %(activity)s") % {"activity": d.activity}
    if d.kind == TransactionKind.PAYMENT and d.shop is not None:
        return _("Payment to %(shop)s") % {"shop": d.shop}
    if d.kind == TransactionKind.REFUND and d.payment_id is not None and d.shop is not None:
        return _("Refund of payment %(number)s at %(shop)s") % {
            "number": d.payment_id,
            "shop": d.shop,
        }
    if d.kind == TransactionKind.REDEMPTION and d.redemption_id is not None:
        if d.euro_cents is None:
            return _("Redemption %(number)s") % {"number": d.redemption_id}
        return _("Redemption %(number)s: %(euros)s") % {
            "number": d.redemption_id,
            "euros": euros(d.euro_cents, code),
        }
    if d.kind == TransactionKind.REVERSAL and d.reversed_id is not None:
        return _("Reversal of transaction %(number)s") % {"number": d.reversed_id}
    return kind_name(d.kind, code)


def kind_name(kind: str, code: str) -> str:
    """The name of a kind of transaction in the language ``code`` (an unknown kind as it is)."""
    name = KIND_NAMES.get(kind)
    return kind if name is None else gettext_for(code)(name)


def amount_text(minor: int, decimals: int, code: str) -> str:
    """Minor units as the language writes numbers: 1250 with two decimals is 12,50 in Dutch."""
    whole = Decimal(minor).scaleb(-decimals)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(whole, format=pattern, locale=number_locale(code))


def moment_text(moment: datetime, code: str, zone: str) -> str:
    """A moment as Belgium writes it in either language: the day as ``06-12-2026`` (never the
    American 12/6/26), then the time in the language's Belgian form (``14:05``), in ``zone``."""
    locale = locale_of(code)
    where = ZoneInfo(zone)
    day = format_date(moment.astimezone(where), "dd-MM-yyyy", locale=locale)
    return f"{day} {format_time(moment, 'short', tzinfo=where, locale=locale)}"


def euros(cents: int, code: str) -> str:
    """Euro cents as the language writes them: ``€ 10,00`` in Dutch, ``€10.00`` in English."""
    return format_currency(Decimal(cents).scaleb(-2), "EUR", locale=number_locale(code))


def redemption_remittance(redemption_id: int, tokens: str, currency: str, code: str) -> str:
    """The text a bank transfer paying a redemption carries to the shop's bank statement."""
    _ = gettext_for(code)
    return _("Torekes redemption %(number)s: %(tokens)s %(currency)s") % {
        "number": redemption_id,
        "tokens": tokens,
        "currency": currency,
    }


@dataclass(frozen=True, slots=True)
class AccountNaming:
    """What an account's name is written from: its kind, the name it was stored with, its
    owner's display name, the project it is the budget of and its currency."""

    kind: str
    stored: str
    owner: str | None = None
    project: str | None = None
    currency: str | None = None


def account_name(naming: AccountNaming, code: str) -> str:
    """An account's name in the language ``code``: a member's wallet after its owner ("Portemonnee
    van Jonas"), a budget after its project, a currency's own accounts after the currency; a name
    a person gave (a shop's) as it was given."""
    _ = gettext_for(code)
    n = naming
    if n.kind == AccountKind.MEMBER and n.owner:
        return _("%(name)s's wallet") % {"name": n.owner}
    if n.kind == AccountKind.BUDGET and n.project:
        return _("%(project)s budget") % {"project": n.project}
    if n.kind == AccountKind.ISSUANCE and n.currency:
        return _("%(currency)s issuance") % {"currency": n.currency}
    if n.kind == AccountKind.REDEMPTION and n.currency:
        return _("%(currency)s redemption") % {"currency": n.currency}
    return n.stored
