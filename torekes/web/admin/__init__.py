"""The administrator's and auditor's pages: the dashboard (circulation, euro liability and
monthly activity as charts), accounts and statements, redemptions to settle, the approvals
queue (four eyes), the audit status, users, their life cycle and cards. Each part lives in its
own module of this package; this router gathers them.

Administrators and auditors see every page; only administrators get forms (``forms``), and every
POST of an auditor is refused with a 403 page, save one: signing a checkpoint, which the API also
allows auditors, since it changes nothing in the ledger (see ``audit``).
"""

from __future__ import annotations

from fastapi import APIRouter

from torekes.web.admin import (
    accounts,
    approvals,
    audit,
    dashboard,
    lifecycle,
    people,
    redemptions,
)

router = APIRouter(include_in_schema=False)
for _part in (dashboard, accounts, redemptions, approvals, audit, people, lifecycle):
    router.include_router(_part.router)
