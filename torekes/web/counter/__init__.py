"""Acting for a member at the counter (``torekes.counter``): a shopkeeper or an administrator
shows a member's balance and history as a printable statement, and a coordinator records a claim
for a member, each with the member's card number and PIN as consent (the number first, refused
there when mistyped; then the device goes to the member for the PIN); a coordinator records an
attendance list after a garden morning. Every form that writes runs once (``writes``)."""

from __future__ import annotations

from fastapi import APIRouter

from torekes.web.counter import attendance, claims, statement

router = APIRouter(include_in_schema=False)
for _part in (statement, claims, attendance):
    router.include_router(_part.router)
