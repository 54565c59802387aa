"""The administrator's and auditor's pages: the dashboard (circulation, euro liability and
monthly activity as charts), accounts and statements, redemptions to settle, the audit status,
users and cards."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
