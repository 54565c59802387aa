"""What the shopkeeper's pages share: the fields their forms send, the keeper signed in (or sent
to sign in and back to the form), the shops they keep, a write run once for its form's key and
stored as the API stores it, and a refusal said at the counter in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Form
from fastapi.responses import Response
from pydantic import BaseModel

from torekes.api.errors import status_of
from torekes.api.schemas import MAX_ID
from torekes.domain import errors
from torekes.domain.access import Principal, Role
from torekes.domain.accounts import PAYEE_KINDS
from torekes.kit.pagination import MAX_PAGE_SIZE
from torekes.kit.unit_of_work import WriteContext
from torekes.ledger import accounts
from torekes.ledger.accounts import AccountQuery
from torekes.ledger.read_models import AccountView
from torekes.web.once import write_once
from torekes.web.problems import plain_words
from torekes.web.session import Page

M = TypeVar("M", bound=BaseModel)

ShopId = Annotated[int, Form(ge=1, le=MAX_ID)]
Typed = Annotated[str, Form(max_length=30)]
Memo = Annotated[str, Form(max_length=200)]
Key = Annotated[str, Form(max_length=255)]


def keeper(page: Page, form_path: str) -> Principal | Response:
    """The signed-in shopkeeper; signed out, sign in and come back to the form (a POST's own
    path cannot be opened again)."""
    if page.principal is None:
        return page.redirect(f"/login?next={form_path}")
    return page.guard(Role.SHOPKEEPER)


def shops(page: Page, actor: Principal) -> list[AccountView]:
    """The shop and partner accounts the signed-in keeper keeps (as the till finds them)."""
    query = AccountQuery(owner_id=actor.user_id, limit=MAX_PAGE_SIZE)
    owned = accounts.list_accounts(page.db, actor, query).items
    return [account for account in owned if account.kind in PAYEE_KINDS]


def own_shop(page: Page, actor: Principal, account_id: int) -> AccountView:
    """One of the keeper's shops; another keeper's is refused as the API refuses it."""
    account = accounts.get_account(page.db, actor, account_id)
    if account.kind not in PAYEE_KINDS:
        raise errors.AccountKindNotAllowed(account_id=account_id)
    return account


def once(
    page: Page,
    actor: Principal,
    key: str,
    asked: dict[str, Any],
    operation: Callable[[WriteContext], object],
    schema: type[M],
) -> M:
    """Run a write once for its form's key: a repeat with the key shows the first outcome."""
    stored = write_once(page, actor, key, asked, operation, rendered(schema))
    return schema.model_validate(stored.body)


def rendered(schema: type[BaseModel]) -> Callable[[object], tuple[int, Any]]:
    """How an outcome is stored: as the API stores it, so a replay reads the same."""
    return lambda result: (201, schema.model_validate(result).model_dump(mode="json"))


def refused(page: Page, error: errors.TorekesError, back: str, words: dict[str, str]) -> Response:
    message = words.get(error.code) or plain_words(error)
    return page.render("shop_problem.html", status_of(error), message=message, back=back)
