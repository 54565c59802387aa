"""The shopkeeper's pages beyond the till: charging a member card, today's payments, refunds and
asking to redeem tokens for euros."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
