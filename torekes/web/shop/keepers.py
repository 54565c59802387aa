"""The shops a shopkeeper keeps: the shop and partner accounts of the signed-in keeper, the form
that starts at them (the till, a card payment), and one of them picked on a form, where another
keeper's shop is refused as the API refuses it."""

from __future__ import annotations

from fastapi.responses import Response

from torekes.domain import errors
from torekes.domain.access import Principal
from torekes.domain.accounts import PAYEE_KINDS
from torekes.kit.pagination import MAX_PAGE_SIZE
from torekes.ledger import accounts
from torekes.ledger.accounts import AccountQuery
from torekes.ledger.read_models import AccountView
from torekes.web.roles import SHOP_KEEPERS
from torekes.web.session import PageContext


def shops(page: PageContext, actor: Principal) -> list[AccountView]:
    """The shop and partner accounts the signed-in keeper keeps."""
    query = AccountQuery(owner_id=actor.user_id, limit=MAX_PAGE_SIZE)
    owned = accounts.list_accounts(page.db, actor, query).items
    return [account for account in owned if account.kind in PAYEE_KINDS]


def shops_form(page: PageContext, template: str) -> Response:
    """A shopkeeper's form that starts with picking one of their shops."""
    actor = page.require(*SHOP_KEEPERS)
    return page.render(template, shops=shops(page, actor))


def own_shop(page: PageContext, actor: Principal, account_id: int) -> AccountView:
    """One of the keeper's shops."""
    account = accounts.get_account(page.db, actor, account_id)
    if account.kind not in PAYEE_KINDS:
        raise errors.AccountKindNotAllowed(account_id=account_id)
    return account
