"""Who may act for a shop (or a partner, which takes payments the same way): its owner (a
shopkeeper) and administrators take payments, charge cards and refund; auditors and the owner read
what the shop received. A shop owned by an administrator (opened before administrators were kept
from owning shops) takes no payments and no payment requests: its owner could move what members
paid into it without a second look."""

from __future__ import annotations

from sqlalchemy.orm import Session

from torekes.db import models as m
from torekes.db.rows import referenced
from torekes.domain import access, errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import PAYEE_KINDS, AccountStatus


def shop_for_writing(session: Session, actor: Principal, shop_account_id: int) -> m.Account:
    """The shop account, if the actor may take payments into it and it can take them now."""
    access.require_role(actor, Role.ADMIN, Role.SHOPKEEPER)
    shop = _shop(session, shop_account_id)
    if not actor.is_admin and shop.owner_id != actor.user_id:
        raise errors.NotAccountOwner(f"You do not keep shop account {shop.id}", account_id=shop.id)
    if shop.status == AccountStatus.CLOSED:
        raise errors.AccountClosed(account_id=shop.id)
    if shop.status == AccountStatus.FROZEN:
        raise errors.AccountFrozen(account_id=shop.id)
    return shop


def check_takes_payments(session: Session, shop: m.Account) -> None:
    """Refuse a payment or a payment request into a shop an administrator owns."""
    if shop.owner_id is not None and referenced(session, m.User, shop.owner_id).role == Role.ADMIN:
        raise errors.ShopOwnedByAdministrator(account_id=shop.id)


def shop_for_reading(session: Session, actor: Principal, shop_account_id: int) -> m.Account:
    shop = _shop(session, shop_account_id)
    access.check_can_read_account(actor, shop.id, shop.owner_id)
    return shop


def _shop(session: Session, shop_account_id: int) -> m.Account:
    shop = session.get(m.Account, shop_account_id)
    if shop is None:
        raise errors.AccountNotFound(account_id=shop_account_id)
    if shop.kind not in PAYEE_KINDS:
        raise errors.AccountKindNotAllowed(
            f"Account {shop.id} is not a shop or partner account", account_id=shop.id
        )
    return shop
