"""The requests the benchmark's clients send: the ``/healthz`` ceiling, a member paying the
shop's standing QR, and a member claiming a reward with a poster code. Every write carries its
own ``Idempotency-Key``, as the phone pages and API clients send."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bench.community import Community

API = "/api/v1"
Request = tuple[str, str, dict[str, str], bytes]


@dataclass(frozen=True, slots=True)
class Healthz:
    expected_status: int = 200

    def request(self, client: int, n: int) -> Request:
        return "GET", "/healthz", {}, b""


@dataclass(frozen=True, slots=True)
class Payments:
    community: Community
    run: str
    expected_status: int = 201

    def request(self, client: int, n: int) -> Request:
        member = self.community.members[client % len(self.community.members)]
        body = json.dumps({"amount": 1, "account_id": member.account_id}).encode()
        path = f"{API}/payment-requests/{self.community.standing_code}/pay"
        return "POST", path, _headers(member.token, f"{self.run}-{client}-{n}"), body


@dataclass(frozen=True, slots=True)
class Claims:
    community: Community
    run: str
    expected_status: int = 201

    def request(self, client: int, n: int) -> Request:
        member = self.community.members[client % len(self.community.members)]
        body = json.dumps({"code": member.claim_code, "account_id": member.account_id}).encode()
        return "POST", f"{API}/claims", _headers(member.token, f"{self.run}-{client}-{n}"), body


def _headers(token: str, key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
