"""The approvals queue (four eyes): what one administrator asked and a second must approve, the
waiting requests first, each with approving and rejecting, then the requests decided lately. An
administrator does not approve their own request: the page offers to withdraw it instead.
Auditors see the queue and act on nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import Response

from torekes.approvals import four_eyes
from torekes.approvals.four_eyes import ApprovalView
from torekes.domain.approvals import ApprovalStatus
from torekes.identity import users
from torekes.web.admin.forms import Reason, write_and_redirect
from torekes.web.admin.rendering import render
from torekes.web.fields import Key, PathId
from torekes.web.form_pages import drawn_on
from torekes.web.roles import ADMIN_READERS
from torekes.web.session import CurrentPage

router = APIRouter(include_in_schema=False)

HOME = "/admin/approvals"
DECIDED_SHOWN = 20


def filed_or(then: str) -> Callable[[object], str]:
    """Where a form that may have been filed for approval leads: to the filed request in the
    queue, or else to ``then``."""

    def where(done: object) -> str:
        return f"{HOME}#approval-{done.id}" if isinstance(done, ApprovalView) else then

    return where


@router.get(HOME)
def approval_list(page: CurrentPage) -> Response:
    who = page.require(*ADMIN_READERS)
    pending = four_eyes.list_requests(page.db, who, ApprovalStatus.PENDING.value)
    decided = [
        request
        for request in four_eyes.list_requests(page.db, who, None)
        if request.status != ApprovalStatus.PENDING.value
    ][:DECIDED_SHOWN]
    people = {
        user_id: users.get_user(page.db, user_id).display_name
        for request in pending + decided
        for user_id in (request.requested_by_id, request.decided_by_id, request.subject_user_id)
        if user_id is not None
    }
    return render(
        page,
        "admin/approvals.html",
        who,
        pending=pending,
        decided=decided,
        people=people,
        me=who.user_id,
    )


@router.post(HOME + "/{request_id}/approve")
@drawn_on(lambda page, _path: approval_list(page))
def approve(page: CurrentPage, request_id: PathId, reason: Reason = "", key: Key = "") -> Response:
    """Do what the request asks, as the second administrator."""
    return write_and_redirect(
        page,
        key,
        {"reason": reason.strip()},
        lambda ctx: four_eyes.approve(ctx, request_id, reason.strip()),
        f"{HOME}#approval-{request_id}",
    )


@router.post(HOME + "/{request_id}/reject")
@drawn_on(lambda page, _path: approval_list(page))
def reject(page: CurrentPage, request_id: PathId, reason: Reason = "", key: Key = "") -> Response:
    """Refuse the request, or withdraw one's own: nothing is done."""
    return write_and_redirect(
        page,
        key,
        {"reason": reason.strip()},
        lambda ctx: four_eyes.reject(ctx, request_id, reason.strip()),
        f"{HOME}#approval-{request_id}",
    )
