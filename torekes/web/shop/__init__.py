"""The shopkeeper's pages: the till (``till``, included by the application on its own), and
beyond it today's payments with their refunds, charging a member card (its number typed or its
QR scanned with the camera, then the member types the PIN), and asking to redeem tokens for
euros. Each part lives in its own module of this package (the shops a keeper keeps in
``keepers``, the fields of their forms and how the counter says no in ``forms``); this router
gathers those beyond the till.

Every form that writes (asking for a payment at the till, a card payment, a refund, a redemption
request, the payout details) carries a random key, made when its form was drawn, and runs through
the same idempotent write as the API's ``Idempotency-Key`` (``writes``): a second tap shows the
first outcome and changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter

from torekes.web.shop import card, payments, redeem

router = APIRouter(include_in_schema=False)
for _part in (payments, card, redeem):
    router.include_router(_part.router)
