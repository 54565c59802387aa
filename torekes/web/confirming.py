"""Asking to confirm a large amount typed on a form: the page that says the amount as it will be
written ("Are you sure: 1.000 TRK?"), with a checkbox that confirms exactly that amount, and the
form's typed values and one-time key carried along, so the confirmed form is sent to the same
address and runs once. Nothing has been written when it is shown (``writes.Unconfirmed``)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi.responses import Response

from torekes.web.session import PageContext
from torekes.web.writes import CONFIRM_FIELD, Unconfirmed

CONFIRM_PAGE = "confirm.html"


def ask_to_confirm(
    page: PageContext,
    unconfirmed: Unconfirmed,
    currency: str,
    action: str,
    typed: Mapping[str, str],
    back: str,
) -> Response:
    """The confirmation page for the form sent to ``action`` with the values ``typed`` (its key
    among them); ``back`` is the form's page, to change the amount instead."""
    confirmation = unconfirmed.confirmation
    return page.render(
        CONFIRM_PAGE,
        amount=confirmation.amount,
        limit=confirmation.above,
        currency=currency,
        decimals=page.decimals_of(currency),
        action=action,
        typed={name: value for name, value in typed.items() if name != CONFIRM_FIELD},
        confirm_field=CONFIRM_FIELD,
        back=back,
    )
