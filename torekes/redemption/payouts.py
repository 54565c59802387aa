"""Where a shop's (or partner's) redeemed tokens are paid in euros, and which partners may redeem.

The shop's keeper or an administrator sets the IBAN and the name to pay to; only an administrator
lets a partner account redeem. Both changes go into the audit trail.
"""

from __future__ import annotations

from torekes.db import models as m
from torekes.domain import access, errors
from torekes.domain.accounts import PAYEE_KINDS, AccountKind
from torekes.domain.redemption import normalise_iban
from torekes.kit import audit_trail
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger.queries import lock_accounts, lock_currency_of_account
from torekes.redemption.read_models import PayoutView


def set_payout_details(
    ctx: WriteContext, account_id: int, iban: str, payout_name: str
) -> PayoutView:
    account = _locked(ctx, account_id)
    if not (ctx.actor.is_admin or account.owner_id == ctx.actor.user_id):
        raise errors.NotAccountOwner(account_id=account_id)
    if account.kind not in PAYEE_KINDS:
        raise errors.AccountNotRedeemable(account_id=account_id)
    before = PayoutView.of(account)
    account.iban = normalise_iban(iban)
    account.payout_name = payout_name
    ctx.session.flush()
    after = PayoutView.of(account)
    audit_trail.record(
        ctx, "account.payout_details_changed", "account", account.id, _plain(before), _plain(after)
    )
    return after


def set_redeemable(ctx: WriteContext, account_id: int, redeemable: bool) -> PayoutView:
    access.require_admin(ctx.actor)
    account = _locked(ctx, account_id)
    if account.kind != AccountKind.PARTNER:
        raise errors.AccountKindNotAllowed(
            "Only partner accounts are marked; shops always redeem, others never",
            account_id=account_id,
        )
    before = {"redeemable": account.redeemable}
    account.redeemable = redeemable
    ctx.session.flush()
    audit_trail.record(
        ctx, "account.redeemable_changed", "account", account.id, before, {"redeemable": redeemable}
    )
    return PayoutView.of(account)


def _locked(ctx: WriteContext, account_id: int) -> m.Account:
    lock_currency_of_account(ctx.session, account_id)
    account = lock_accounts(ctx.session, [account_id]).get(account_id)
    if account is None:
        raise errors.AccountNotFound(account_id=account_id)
    return account


def _plain(view: PayoutView) -> dict[str, object]:
    return {"iban": view.iban, "payout_name": view.payout_name, "redeemable": view.redeemable}
