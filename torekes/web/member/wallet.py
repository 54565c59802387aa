"""The wallet (``/`` for a member, where they land; ``/wallet`` for everyone, as other roles land
on their own work, see ``roles.landing``): each of their accounts with its balance and
newest entries, each entry opening its receipt (``/receipts/{id}``), older entries a page at a
time (``/history/{account}?cursor=``, the API's keyset cursor), the claims still waiting for a
coordinator, and a member's card with its state and its QR while it can pay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from torekes.documents import qr
from torekes.domain.access import Principal
from torekes.domain.cards import CardStatus
from torekes.reporting import wallets
from torekes.web.fields import PathId
from torekes.web.problems import N_
from torekes.web.roles import WALLET, landing
from torekes.web.session import CurrentPage, PageContext

router = APIRouter(include_in_schema=False)

# A card's state as the wallet says it (gettext messages, translated when shown).
CARD_STATES = {
    CardStatus.ACTIVE.value: N_("active"),
    "locked": N_("locked by wrong PINs"),
    CardStatus.BLOCKED.value: N_("blocked"),
}
RECENT_ENTRIES = 10
HISTORY_PAGE = 25
Cursor = Annotated[str | None, Query(max_length=20)]


@router.get("/")
def home(page: CurrentPage) -> Response:
    """Where each role lands: a member's wallet, another role's own work (``next=`` after
    signing in still wins: it leads past this page)."""
    actor = page.require(back="/")
    target = landing(actor.role)
    if target != "/":
        return page.redirect(target)
    return _wallet(page, actor)


@router.get(WALLET)
def wallet(page: CurrentPage) -> Response:
    """The signed-in person's own wallet, whatever their role."""
    return _wallet(page, page.require(back=WALLET))


def _wallet(page: PageContext, actor: Principal) -> Response:
    with page.explaining():
        own = wallets.wallet_accounts(page.db, actor, RECENT_ENTRIES)
        pending = wallets.pending_claims(page.db, actor)
        card = wallets.member_card(page.db, page.settings, actor)
    can_pay = card is not None and card.state == CardStatus.ACTIVE.value
    return page.render(
        "member/wallet.html",
        wallets=[(entry, page.decimals_of(entry.account.currency)) for entry in own],
        pending=[(claim, page.decimals_of(claim.currency)) for claim in pending],
        card=card,
        card_states=CARD_STATES,
        card_svg=qr.inline_svg(card.card.url) if card is not None and can_pay else None,
    )


@router.get("/history/{account_id}")
def history(page: CurrentPage, account_id: PathId, cursor: Cursor = None) -> Response:
    """Older entries of one of the person's accounts, a page at a time."""
    actor = page.require()
    with page.explaining():
        entry = wallets.history(page.db, actor, account_id, cursor, HISTORY_PAGE)
    return page.render(
        "member/history.html", entry=entry, decimals=page.decimals_of(entry.account.currency)
    )


@router.get("/receipts/{transaction_id}")
def receipt(page: CurrentPage, transaction_id: PathId) -> Response:
    """The receipt of one entry: what it was, when, how much, and for a payment the shop's."""
    actor = page.require()
    with page.explaining():
        found = wallets.receipt(page.db, actor, transaction_id)
    return render_receipt(page, found)


def render_receipt(
    page: PageContext, found: wallets.Receipt, status_code: int = 200, paid: bool = False
) -> Response:
    """A receipt, whose page comes back to its own address (``/receipts/{id}``); the answer to
    a payment's form (``201``), or its payer back on the paid request (``paid``), says "Paid"."""
    return page.render(
        "member/receipt.html",
        status_code,
        status_paid=paid or status_code == 201,
        receipt=found,
        decimals=page.decimals_of(found.transaction.currency),
        here=f"/receipts/{found.transaction.id}",
    )
