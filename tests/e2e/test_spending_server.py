"""End to end with two worker processes: a shop waits on its payment request with a long poll
while a member pays it, and the wait ends with "paid" although the two requests may be served by
different processes (nothing is signalled inside one process)."""

from __future__ import annotations

import threading
from typing import Any

import httpx2
import pytest

from tests.servers import Server
from tests.support import Ledger
from torekes.domain.access import Role
from torekes.domain.accounts import AccountKind

pytestmark = pytest.mark.e2e

WAIT_SECONDS = 30


def test_the_till_sees_the_payment_arrive_across_worker_processes(
    two_workers: Server, ledger: Ledger
) -> None:
    ledger.currency()
    member = ledger.user(Role.MEMBER)
    keeper = ledger.user(Role.SHOPKEEPER)
    ledger.funded_member(member, 100)
    shop = ledger.account(AccountKind.SHOP, keeper)
    api = f"{two_workers.base_url}/api/v1"

    with httpx2.Client(timeout=WAIT_SECONDS + 10) as http:
        created = http.post(
            f"{api}/payment-requests",
            json={"shop_account_id": shop.id, "amount": 25},
            headers=keeper.headers,
        )
        assert created.status_code == 201, created.text
        code = created.json()["code"]
        opened = http.get(f"{api}/payment-requests/{code}", headers=keeper.headers)
        assert opened.json()["status"] == "open"

        watched: dict[str, Any] = {}
        started = threading.Event()

        def watch() -> None:
            started.set()
            with httpx2.Client(timeout=WAIT_SECONDS + 10) as waiter:
                response = waiter.get(
                    f"{api}/payment-requests/{code}",
                    params={"wait": WAIT_SECONDS},
                    headers=keeper.headers,
                )
            watched["status_code"] = response.status_code
            watched["body"] = response.json()

        waiter = threading.Thread(target=watch, daemon=True)
        waiter.start()
        started.wait(WAIT_SECONDS)
        paid = http.post(f"{api}/payment-requests/{code}/pay", headers=member.headers)
        assert paid.status_code == 201, paid.text
        waiter.join(WAIT_SECONDS + 15)
        assert not waiter.is_alive(), "the long poll never answered"

        assert watched["status_code"] == 200, watched
        assert watched["body"]["status"] == "paid", watched
        assert watched["body"]["transaction_id"] == paid.json()["transaction_id"]

        report = http.get(f"{api}/audit/verify", headers=ledger.admin.headers)
        assert report.json()["ok"] is True, report.text
    assert two_workers.process.poll() is None
