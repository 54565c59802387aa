"""What the pages of every audience take from their address and their forms, with the same limits
the API puts on them; a value outside them is refused before the page is asked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path

from torekes.api.schemas import MAX_ID

# A row's id in the page's address: /admin/accounts/{account_id}, /projects/{project_id}.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# An account picked on a form: the shop a payment is asked for, or is redeemed from.
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
# A claim or payment code in the address a QR code opens: /c/{code}, /p/{code}, /till/{code}.
Code = Annotated[str, Path(min_length=1, max_length=100)]
# An IBAN as typed on a payout form (the services check it); longer ones are refused here.
Iban = Annotated[str, Form(max_length=42)]
# The one-time key a form that writes carries, made when the form was drawn (``writes.new_key``).
Key = Annotated[str, Form(max_length=255)]
