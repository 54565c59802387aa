"""The shopkeeper's pages beyond the till: today's payments with their refunds, charging a member
card (its number typed or its QR scanned with the camera, then the member types the PIN), and
asking to redeem tokens for euros. Each part lives in its own ``shop_*`` module (what they share
in ``shop_common``); this router gathers them.

A write that a double tap could repeat (a card payment, a refund, a redemption request) carries a
random key, made when its form was drawn, and runs through the same idempotent write as the API's
``Idempotency-Key``: a second tap shows the first outcome and changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter

from torekes.web import shop_card, shop_payments, shop_redeem

router = APIRouter(include_in_schema=False)
for _part in (shop_payments, shop_card, shop_redeem):
    router.include_router(_part.router)
