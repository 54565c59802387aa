"""The coordinator's pages: a project's budget and hours, its activities (create, pause, resume,
close), sheets of claim QR codes to print, and claims to approve or reject in bulk. Each part
lives in its own module of this package (how their forms are read and written in ``forms``, how
their pages are drawn in ``rendering``); this router gathers them.

Coordinators act inside their own projects, administrators everywhere; auditors read the same
pages without their forms, and never see codes. Every form that writes carries a one-time key
(``writes``), so a form sent twice (a double tap, a reload) acts once and shows the first
outcome.
"""

from __future__ import annotations

from fastapi import APIRouter

from torekes.web.coordinator import activities, claims, projects, sheets

router = APIRouter(include_in_schema=False)
for _part in (projects, activities, sheets, claims):
    router.include_router(_part.router)
