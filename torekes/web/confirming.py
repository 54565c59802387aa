"""Asking to confirm a large amount typed on a form: the page that says the amount as it will be
written ("Are you sure: 1.000 TRK?"), with a checkbox that confirms exactly that amount, and the
form's values and one-time key carried along (never a PIN or password), so the confirmed form is
sent to the same address and runs once. Nothing has been written when it is shown
(``writes.Unconfirmed``). Its other button, "No, change the amount", sends the same form back
with ``CHANGE_FIELD``: the form's page is drawn again with everything typed, the amount field
marked, and still nothing written."""

from __future__ import annotations

from fastapi.responses import Response

from torekes.web.csrf import CSRF_FIELD
from torekes.web.form_pages import is_secret
from torekes.web.problems import N_
from torekes.web.session import PageContext
from torekes.web.writes import CONFIRM_FIELD, Unconfirmed

CONFIRM_PAGE = "confirm.html"
CHANGE_FIELD = "change"
CHANGE_AMOUNT = N_("Change the amount, then send the form again.")
NOT_CARRIED = frozenset({CSRF_FIELD, CONFIRM_FIELD, CHANGE_FIELD})


def ask_to_confirm(
    page: PageContext, unconfirmed: Unconfirmed, currency: str, action: str, field: str = "amount"
) -> Response:
    """The confirmation page for the form sent to ``action``, whose amount is ``field``; or,
    when the person chose to change the amount, the form's page again with what they typed."""
    sent = page.sent.multi_items() if page.sent is not None else []
    if any(name == CHANGE_FIELD and value for name, value in sent):
        return page.refuse(CHANGE_AMOUNT, 200, field=field)
    confirmation = unconfirmed.confirmation
    return page.render(
        CONFIRM_PAGE,
        amount=confirmation.amount,
        limit=confirmation.above,
        currency=currency,
        decimals=page.decimals_of(currency),
        action=action,
        carried=[
            (name, value)
            for name, value in sent
            if isinstance(value, str) and name not in NOT_CARRIED and not is_secret(name)
        ],
        confirm_field=CONFIRM_FIELD,
        change_field=CHANGE_FIELD,
    )
