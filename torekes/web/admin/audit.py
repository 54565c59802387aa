"""The audit status: verify run on the whole ledger (intact, or each problem found), each
currency's chain head, the last signed checkpoint given out, and a button that signs the chain
heads now and downloads the checkpoint as JSON.

Signing a checkpoint is open to auditors as well as administrators, as in the API
(``GET /api/v1/audit/verify?checkpoint=true``): it changes nothing in the ledger; it only puts
on record, in the audit trail, who took a checkpoint and of which heads. It is a POST with the
CSRF token all the same, so no other site can make a browser take one.
"""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.api.schemas import SignedCheckpointOut
from torekes.audit import checkpoints, trail, verification
from torekes.audit.trail import AuditQuery
from torekes.domain import errors
from torekes.web.fields import Key
from torekes.web.roles import ADMIN_READERS
from torekes.web.session import CurrentPage
from torekes.web.writes import committing_once, first_outcome, form_fingerprint

router = APIRouter(include_in_schema=False)

ACTS_SHOWN = 20


@router.get("/admin/audit")
def audit_status(page: CurrentPage) -> Response:
    who = page.require(*ADMIN_READERS)
    report = verification.verify(page.db, who)
    latest = trail.list_events(page.db, who, AuditQuery(action="checkpoint.signed", limit=1)).items
    return page.render(
        "admin/audit.html",
        acts=trail.acts_for_members(page.db, who, ACTS_SHOWN),
        report=report,
        checkpoint=latest[0] if latest else None,
        key=checkpoints.public_key_of(page.settings, who),
    )


# Its refusals are the plain refusal page, not the audit page drawn again: that page records a
# verification each time it is drawn, and this form has nothing typed to keep.
@router.post("/admin/audit/checkpoint")
def sign_checkpoint(page: CurrentPage, key: Key = "") -> Response:
    """Verify, and when the ledger is intact, sign its chain heads and download the result; the
    same form sent again downloads the same checkpoint and verifies and records nothing more."""
    who = page.require(*ADMIN_READERS)
    fingerprint = form_fingerprint(page.request.url.path, {})
    with page.explaining():
        outcome = first_outcome(page, who, key, fingerprint)
        if outcome is None:
            report = verification.verify(page.db, who)
            if not report.ok:
                return page.problem(errors.LedgerNotIntact())
            outcome = checkpoints.sign(
                page.db,
                page.settings,
                who,
                report,
                committing_once(
                    page,
                    who,
                    key,
                    fingerprint,
                    lambda signed: (
                        200,
                        SignedCheckpointOut.model_validate(signed).model_dump(mode="json"),
                    ),
                ),
            )
    body = outcome.body
    stamp = str(body["checkpoint"]["created_at"])[:19].replace(":", "").replace("-", "")
    return page.finish(
        Response(
            json.dumps(body, indent=2) + "\n",
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="checkpoint-{stamp}.json"',
                "Cache-Control": "no-store",
            },
        )
    )
