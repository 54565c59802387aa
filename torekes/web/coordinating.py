"""The coordinator's pages: a project's budget and hours, its activities (create, pause, resume,
close), sheets of claim QR codes to print, and claims to approve or reject in bulk. Each part
lives in its own ``coord_*`` module (what they share in ``coord_common``); this router gathers
them.

Coordinators act inside their own projects, administrators everywhere; auditors read the same
pages without their forms, and never see codes. Forms that create something carry a one-time
key, so a form sent twice (a double tap, a reload) acts once and shows the first outcome.
"""

from __future__ import annotations

from fastapi import APIRouter

from torekes.web import coord_activities, coord_claims, coord_projects, coord_sheets

router = APIRouter(include_in_schema=False)
for _part in (coord_projects, coord_activities, coord_sheets, coord_claims):
    router.include_router(_part.router)
