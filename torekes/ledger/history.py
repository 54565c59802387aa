"""Reading the journal: one transaction, and the ordered feed of a currency for export."""

from __future__ import annotations

from torekes.db.engine import Database
from torekes.domain import access, errors
from torekes.domain.access import Principal
from torekes.kit import pagination
from torekes.kit.pagination import Listing
from torekes.ledger import queries
from torekes.ledger.currencies import get_currency_id
from torekes.ledger.journal import transaction_views
from torekes.ledger.read_models import TransactionView


def get_transaction(db: Database, actor: Principal, transaction_id: int) -> TransactionView:
    """A transaction, for those who read everything or own one of its accounts."""
    with db.read_session() as session:
        transaction = queries.get_transaction(session, transaction_id)
        if transaction is None:
            raise errors.TransactionNotFound(transaction_id=transaction_id)
        view = transaction_views(session, [transaction])[0]
        if not actor.reads_everything:
            account_ids = [posting.account_id for posting in view.postings]
            if actor.user_id not in queries.owners_of_accounts(session, account_ids):
                raise errors.RoleNotAllowed("You may see only transactions on your own accounts")
        return view


def feed(
    db: Database, actor: Principal, currency_code: str, after_seq: int, limit: int
) -> Listing[TransactionView]:
    """The currency's transactions in sequence order after ``after_seq``: the export feed."""
    access.require_reader_of_everything(actor)
    with db.read_session() as session:
        currency_id = get_currency_id(session, currency_code)
        found = queries.transaction_feed(session, currency_id, after_seq, limit)
        views = transaction_views(session, found)
        return Listing(views, pagination.next_cursor([view.seq for view in views], limit))
