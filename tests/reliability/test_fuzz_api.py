"""Property-based fuzzing of the whole API from the committed ``openapi/openapi.json``.

Schemathesis generates requests for every documented operation, both valid ones (what the schema
allows) and invalid ones (what it forbids), and sends them as an administrator to a real server
with two workers on the test's database, seeded with a small world so that path ids exist and
deep paths are reached. Every answer must be no server error, carry a documented status code and
content type, and match the documented body and header schemas. Each operation gets a bounded
number of examples (more with ``TOREKES_RELIABILITY_SCALE``); failures of all operations are
collected and reported together.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import Server
from tests.support import Actor, Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind
from torekes.domain.earning import CodeKind, RewardKind
from torekes.earning import claim_codes, claims, projects
from torekes.earning.activities import ActivityCommand, create_activity
from torekes.earning.claim_codes import BatchCommand
from torekes.earning.claims import ClaimCommand
from torekes.earning.projects import ProjectCommand
from torekes.kit.unit_of_work import write
from torekes.spending import payment_requests
from torekes.spending.payment_requests import RequestCommand

SPEC = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
EXAMPLES_PER_MODE = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Signing out ends the token the run uses (and so may a new password or a deactivation, of the
# user an id names): these go last, each with an administrator of its own.
REVOKING = {
    ("POST", "/api/v1/auth/revoke"),
    ("POST", "/api/v1/users/{user_id}/revoke-tokens"),
    ("POST", "/api/v1/users/{user_id}/password"),
    ("POST", "/api/v1/users/{user_id}/deactivate"),
    ("POST", "/api/v1/me/password"),
}


def seed(ledger: Ledger) -> dict[str, dict[str, Any]]:
    """A small world (a currency, funded accounts, a project with an activity, codes and a
    claim, a payment request) and the path parameters naming its rows, by route prefix."""
    currency = ledger.currency()
    member = ledger.user(Role.MEMBER)
    shopkeeper = ledger.user(Role.SHOPKEEPER)
    coordinator = ledger.user(Role.COORDINATOR)
    account = ledger.funded_member(member, 500)
    shop = ledger.account(AccountKind.SHOP, shopkeeper)
    payment = ledger.transfer(account.id, shop.id, 20, member.principal)
    admin = ledger.admin.principal
    project = write(
        ledger.db,
        admin,
        lambda ctx: projects.create_project(
            ctx, ProjectCommand("Garden", currency.code, [coordinator.id])
        ),
    )
    ledger.issue(project.budget_account_id, 1000)
    activity = write(
        ledger.db,
        admin,
        lambda ctx: create_activity(
            ctx,
            project.id,
            ActivityCommand(
                title="Weeding",
                description="The garden",
                reward_kind=RewardKind.FIXED,
                reward_amount=25,
            ),
        ),
    )
    batch = write(
        ledger.db,
        admin,
        lambda ctx: claim_codes.create_batch(
            ctx, ledger.settings, activity.id, BatchCommand(CodeKind.SINGLE, 3)
        ),
    )
    claim = write(
        ledger.db,
        member.principal,
        lambda ctx: claims.claim(ctx, ledger.settings, ClaimCommand(batch.codes[0].code)),
    )
    request = write(
        ledger.db,
        shopkeeper.principal,
        lambda ctx: payment_requests.create_request(
            ctx, ledger.settings, RequestCommand(shop.id, amount=10, memo="Bread")
        ),
    )
    ids = {
        "account_id": account.id,
        "activity_id": activity.id,
        "project_id": project.id,
        "batch_id": batch.id,
        "code_id": batch.codes[1].id,
        "claim_id": claim.id,
        "transaction_id": payment.id,
        "user_id": member.id,
        "request_id": 1,
        "redemption_id": 1,
        "settlement_id": 1,
        "card_id": 1,
    }
    return {
        "/api/v1/currencies/": {**ids, "code": currency.code},
        "/api/v1/payment-requests/": {**ids, "code": request.code},
        "": ids,
    }


def known_ids(seeded: dict[str, dict[str, Any]], path: str, names: list[str]) -> dict[str, Any]:
    prefix = next(key for key in seeded if path.startswith(key))
    return {name: seeded[prefix][name] for name in names if name in seeded[prefix]}


def short_polls(case: Any) -> Any:
    """A payment request's long poll may hold a valid answer for a minute: one second will do."""
    wait = (case.query or {}).get("wait")
    if isinstance(wait, int | float) and not isinstance(wait, bool) and wait > 1:
        case.query["wait"] = 1
    return case


def fuzz(
    operation: Any,
    base_url: str,
    headers: Callable[[], dict[str, str]],
    known: dict[str, Any],
    examples: int,
) -> None:
    """Valid and invalid requests for ``operation``, half of the valid ones naming seeded rows."""
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    if known:
        strategies.append(operation.as_strategy(path_parameters=known))

    @hypothesis.settings(
        max_examples=examples * len(strategies),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate, hypothesis.Phase.shrink],
    )
    @given(case=st.one_of(strategies).map(short_polls))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=headers(), checks=CHECKS)

    run()


@pytest.mark.e2e
def test_every_operation_answers_as_documented(
    two_workers: Server, ledger: Ledger, scale: float
) -> None:
    seeded = seed(ledger)
    schema = schemathesis.openapi.from_path(SPEC)
    admin: Actor = ledger.admin
    examples = max(1, round(EXAMPLES_PER_MODE * scale))
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    operations.sort(key=lambda op: (op.method.upper(), op.path) in REVOKING)
    failures: list[str] = []
    for operation in operations:
        if (operation.method.upper(), operation.path) in REVOKING:

            def headers() -> dict[str, str]:
                return ledger.user(Role.ADMIN).headers

        else:

            def headers() -> dict[str, str]:
                return admin.headers

        try:
            names = [parameter.name for parameter in operation.path_parameters]
            known = known_ids(seeded, operation.path, names)
            fuzz(operation, two_workers.base_url, headers, known, examples)
        except Exception as error:  # every operation's failure is reported, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}:\n{error}")
    assert not failures, "\n\n".join(failures)
