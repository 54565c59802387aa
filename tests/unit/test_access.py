"""Who may read and move what: roles, ownership, auditors' read-only rights (no database)."""

from __future__ import annotations

import pytest

from torekes.domain import errors
from torekes.domain.access import (
    Principal,
    Role,
    check_can_debit_account,
    check_can_read_account,
    require_admin,
    require_reader_of_everything,
    require_role,
)

OWNER_ID = 10
OTHER_ID = 20
ACCOUNT_ID = 99
OWNERS: list[int | None] = [OWNER_ID, OTHER_ID, None]


def principal(role: Role, user_id: int = OWNER_ID) -> Principal:
    return Principal(user_id=user_id, username=f"{role.value}{user_id}", role=role)


@pytest.mark.parametrize("role", list(Role))
def test_require_role_accepts_listed_roles(role: Role) -> None:
    require_role(principal(role), role)
    require_role(principal(role), *Role)


@pytest.mark.parametrize("role", list(Role))
def test_require_role_refuses_other_roles(role: Role) -> None:
    others = [other for other in Role if other is not role]
    with pytest.raises(errors.RoleNotAllowed) as caught:
        require_role(principal(role), *others)
    assert caught.value.code == "role_not_allowed"
    assert isinstance(caught.value, errors.Forbidden)


def test_require_role_with_no_roles_refuses_everyone() -> None:
    with pytest.raises(errors.RoleNotAllowed):
        require_role(principal(Role.ADMIN))


@pytest.mark.parametrize("role", list(Role))
def test_only_admins_pass_require_admin(role: Role) -> None:
    if role is Role.ADMIN:
        require_admin(principal(role))
    else:
        with pytest.raises(errors.RoleNotAllowed):
            require_admin(principal(role))


@pytest.mark.parametrize("role", list(Role))
def test_only_admins_and_auditors_read_everything(role: Role) -> None:
    reader = principal(role)
    assert reader.reads_everything == (role in (Role.ADMIN, Role.AUDITOR))
    if reader.reads_everything:
        require_reader_of_everything(reader)
    else:
        with pytest.raises(errors.RoleNotAllowed):
            require_reader_of_everything(reader)


@pytest.mark.parametrize("owner_id", OWNERS)
@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_admins_and_auditors_read_any_account(role: Role, owner_id: int | None) -> None:
    check_can_read_account(principal(role), ACCOUNT_ID, owner_id)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SHOPKEEPER, Role.MEMBER])
def test_others_read_only_their_own_accounts(role: Role) -> None:
    check_can_read_account(principal(role), ACCOUNT_ID, OWNER_ID)
    for owner_id in (OTHER_ID, None):
        with pytest.raises(errors.NotAccountOwner) as caught:
            check_can_read_account(principal(role), ACCOUNT_ID, owner_id)
        assert caught.value.code == "not_account_owner"
        assert caught.value.extra == {"account_id": ACCOUNT_ID}


@pytest.mark.parametrize("owner_id", OWNERS)
def test_an_admin_may_debit_any_account(owner_id: int | None) -> None:
    check_can_debit_account(principal(Role.ADMIN), ACCOUNT_ID, owner_id)


@pytest.mark.parametrize("owner_id", OWNERS)
def test_an_auditor_never_debits_even_an_account_it_owns(owner_id: int | None) -> None:
    with pytest.raises(errors.NotAccountOwner):
        check_can_debit_account(principal(Role.AUDITOR), ACCOUNT_ID, owner_id)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.SHOPKEEPER, Role.MEMBER])
def test_owners_debit_only_their_own_accounts(role: Role) -> None:
    check_can_debit_account(principal(role), ACCOUNT_ID, OWNER_ID)
    with pytest.raises(errors.NotAccountOwner):
        check_can_debit_account(principal(role), ACCOUNT_ID, OTHER_ID)
    # An account owned by nobody (a system or unassigned budget account) is nobody's to debit.
    with pytest.raises(errors.NotAccountOwner):
        check_can_debit_account(principal(role), ACCOUNT_ID, None)


def test_a_principal_is_immutable() -> None:
    member = principal(Role.MEMBER)
    with pytest.raises(AttributeError):
        member.role = Role.ADMIN  # type: ignore[misc]
