"""The requests the benchmark's clients send: the ``/healthz`` ceiling, a member paying the
shop's standing QR, and a member claiming a reward with a poster code. Every write carries its
own ``Idempotency-Key``, as the phone pages and API clients send."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bench.community import Community, Member

API = "/api/v1"
Request = tuple[str, str, dict[str, str], bytes]


@dataclass(frozen=True, slots=True)
class Healthz:
    expected_status: int = 200

    def request(self, client: int, n: int) -> Request:
        return "GET", "/healthz", {}, b""


@dataclass(frozen=True, slots=True)
class _MemberWrites:
    """A POST by the client's own member, with the member's token and an ``Idempotency-Key``
    unique to the run, the client and the request; ``write`` says where and what."""

    community: Community
    run: str
    expected_status: int = 201

    def request(self, client: int, n: int) -> Request:
        member = self.community.members[client % len(self.community.members)]
        path, payload = self.write(member)
        headers = {
            "Authorization": f"Bearer {member.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"{self.run}-{client}-{n}",
        }
        return "POST", path, headers, json.dumps(payload).encode()

    def write(self, member: Member) -> tuple[str, dict[str, object]]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Payments(_MemberWrites):
    """One token paid at the shop's standing QR."""

    def write(self, member: Member) -> tuple[str, dict[str, object]]:
        path = f"{API}/payment-requests/{self.community.standing_code}/pay"
        return path, {"amount": 1, "account_id": member.account_id}


@dataclass(frozen=True, slots=True)
class Claims(_MemberWrites):
    """A reward claimed with the member's poster code."""

    def write(self, member: Member) -> tuple[str, dict[str, object]]:
        return f"{API}/claims", {"code": member.claim_code, "account_id": member.account_id}
