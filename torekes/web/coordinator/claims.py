"""A project's claims waiting for approval, and approving or rejecting a selection of them at
once; each claim is decided on its own, and the answer page says how each one went.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from torekes.api.schemas import BulkDecisionIn
from torekes.domain import errors
from torekes.earning import claim_queue, projects
from torekes.web.coordinator.forms import Typed, project_form, validated, whole
from torekes.web.coordinator.rendering import render
from torekes.web.fields import Key, PathId
from torekes.web.form_pages import drawn_on
from torekes.web.problems import PLAIN_WORDS, SOMETHING_WRONG
from torekes.web.roles import PROJECT_READERS
from torekes.web.session import CurrentPage
from torekes.web.writes import write_once

router = APIRouter(include_in_schema=False)

# The form's name for the body's field: each selected claim is a box named "claim".
CLAIMS = {"claim_ids": "claim"}


@router.get("/projects/{project_id}/claims")
def waiting_claims(page: CurrentPage, project_id: PathId) -> Response:
    actor = page.require(*PROJECT_READERS)
    with page.explaining():
        project = projects.get_project(page.db, actor, project_id)
        waiting = claim_queue.waiting(page.db, actor, project_id)
    return render(page, "coordinator/claims.html", actor, project, claims=waiting)


@router.post("/projects/{project_id}/claims")
@drawn_on(lambda page, path: waiting_claims(page, int(path["project_id"])))
def decide_claims(
    page: CurrentPage,
    project_id: PathId,
    key: Key = "",
    decision: Typed = "",
    reason: Typed = "",
    claim: Annotated[list[str] | None, Form(max_length=1000)] = None,
) -> Response:
    """Approve or reject the selected claims; each is decided on its own, as the page shows."""
    with project_form(page) as actor:
        project = projects.get_project(page.db, actor, project_id)
        if decision not in claim_queue.DECISIONS:
            raise errors.InvalidInput(field="decision")
        ids = [whole(typed, "claim") for typed in claim or []]
        body = validated(BulkDecisionIn, {"claim_ids": ids, "reason": reason.strip()}, CLAIMS)
        known = {c.id: c for c in claim_queue.waiting(page.db, actor, project_id)}
        outcomes = write_once(
            page,
            actor,
            key,
            {"decision": decision, **body.model_dump(mode="json")},
            lambda ctx: claim_queue.decide(ctx, project_id, body.claim_ids, decision, body.reason),
            lambda found: (
                200,
                [{"claim_id": o.claim_id, "ok": o.ok, "error_code": o.error_code} for o in found],
            ),
        )
    rows = [
        (
            outcome,
            known.get(outcome["claim_id"]),
            None if outcome["ok"] else _words_of(outcome["error_code"]),
        )
        for outcome in outcomes
    ]
    status = 200 if any(outcome["ok"] for outcome in outcomes) else 409
    return render(
        page, "coordinator/decided.html", actor, project, status, rows=rows, decision=decision
    )


def _words_of(code: str | None) -> str:
    return PLAIN_WORDS.get(code or "", SOMETHING_WRONG)
