"""Throttling password guesses without locking anyone out: failures count per username and
client address, per client address, and past a ceiling only for addresses the username has not
signed in from; a hash made with older argon2 parameters is replaced at the next sign-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.api.helpers import assert_problem
from tests.apps import app_for
from tests.support import PASSWORD
from torekes.db import models as m
from torekes.domain.access import Role
from torekes.kit import security
from torekes.settings import Settings

API = "/api/v1"
WRONG = "guess-again"


@pytest.fixture
def tight(settings: Settings) -> Settings:
    """The test settings' five failures per username and client, and low ceilings."""
    return settings.model_copy(update={"login_client_max_failures": 8, "login_username_ceiling": 7})


@pytest.fixture
def from_address(tight: Settings, world: World) -> Iterator[dict[str, TestClient]]:
    """One client per address, all on the same application."""
    app = app_for(tight)
    with TestClient(app, client=("203.0.113.1", 40000)) as first:
        yield {
            "203.0.113.1": first,
            **{
                host: TestClient(app, client=(host, 40000))
                for host in ("203.0.113.2", "198.51.100.9", "2001:db8:1:2::5", "2001:db8:1:2::9")
            },
        }


def _sign_in(client: TestClient, username: str, password: str) -> int:
    response = client.post(f"{API}/auth/token", data={"username": username, "password": password})
    return response.status_code


def test_a_strangers_wrong_passwords_never_stop_the_owner_elsewhere(
    from_address: dict[str, TestClient], world: World
) -> None:
    username = world.actors[Role.MEMBER].principal.username
    stranger, owner = from_address["203.0.113.1"], from_address["203.0.113.2"]
    assert [_sign_in(stranger, username, WRONG) for _ in range(6)] == [401] * 5 + [429]
    limited = stranger.post(f"{API}/auth/token", data={"username": username, "password": PASSWORD})
    assert_problem(limited, 429, "too_many_attempts")
    assert int(limited.headers["retry-after"]) >= 1
    assert _sign_in(owner, username, PASSWORD) == 200


def test_one_password_tried_against_every_username_is_stopped(
    from_address: dict[str, TestClient], world: World
) -> None:
    sprayer, other = from_address["203.0.113.1"], from_address["198.51.100.9"]
    usernames = [f"nobody{n}" for n in range(8)]
    assert [_sign_in(sprayer, name, WRONG) for name in usernames] == [401] * 8
    member = world.actors[Role.MEMBER].principal.username
    assert _sign_in(sprayer, member, PASSWORD) == 429
    assert _sign_in(other, member, PASSWORD) == 200


def test_past_the_ceiling_only_addresses_the_owner_used_go_on(
    from_address: dict[str, TestClient], world: World
) -> None:
    """Seven failures on one username from two addresses reach its ceiling: a new address waits,
    the address the owner signed in from before does not."""
    username = world.actors[Role.MEMBER].principal.username
    usual = from_address["198.51.100.9"]
    assert _sign_in(usual, username, PASSWORD) == 200
    first, second = from_address["203.0.113.1"], from_address["203.0.113.2"]
    assert [_sign_in(first, username, WRONG) for _ in range(5)] == [401] * 5
    assert [_sign_in(second, username, WRONG) for _ in range(2)] == [401] * 2
    new = from_address["2001:db8:1:2::5"]
    assert _sign_in(new, username, PASSWORD) == 429
    assert _sign_in(usual, username, PASSWORD) == 200


def test_an_ipv6_network_counts_as_one_client(
    from_address: dict[str, TestClient], world: World
) -> None:
    username = world.actors[Role.MEMBER].principal.username
    one, same_network = from_address["2001:db8:1:2::5"], from_address["2001:db8:1:2::9"]
    assert [_sign_in(one, username, WRONG) for _ in range(5)] == [401] * 5
    assert _sign_in(same_network, username, PASSWORD) == 429
    assert _sign_in(from_address["198.51.100.9"], username, PASSWORD) == 200


def test_a_hash_with_older_parameters_is_replaced_at_sign_in(
    client: TestClient, world: World
) -> None:
    member = world.actors[Role.MEMBER]
    older = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    with world.ledger.db.write_session() as session:
        user = session.get(m.User, member.id)
        assert user is not None
        user.password_hash = older
        session.commit()
    assert _sign_in(client, member.principal.username, PASSWORD) == 200
    with world.ledger.db.read_session() as session:
        user = session.get(m.User, member.id)
        assert user is not None
        renewed = user.password_hash
    assert renewed != older
    assert not security.needs_rehash(renewed)
    assert security.verify_password(renewed, PASSWORD)
    assert _sign_in(client, member.principal.username, PASSWORD) == 200
