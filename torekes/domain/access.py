"""Roles and the rules of who may read and move what.

Administrators may do everything; auditors read everything and write nothing; everyone else reads
and moves money only from accounts they own. Services call these checks with the acting
``Principal`` before they touch the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from torekes.domain import errors


class Role(StrEnum):
    ADMIN = "admin"
    AUDITOR = "auditor"
    COORDINATOR = "coordinator"
    SHOPKEEPER = "shopkeeper"
    MEMBER = "member"


READ_ALL_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user on whose behalf a request acts."""

    user_id: int
    username: str
    role: Role

    @property
    def reads_everything(self) -> bool:
        return self.role in READ_ALL_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(role.value for role in roles)
        raise errors.RoleNotAllowed(f"This needs one of the roles: {allowed}")


def require_admin(principal: Principal) -> None:
    require_role(principal, Role.ADMIN)


def require_reader_of_everything(principal: Principal) -> None:
    require_role(principal, *READ_ALL_ROLES)


def check_can_read_account(principal: Principal, account_id: int, owner_id: int | None) -> None:
    if principal.reads_everything or owner_id == principal.user_id:
        return
    raise errors.NotAccountOwner(f"You may not see account {account_id}", account_id=account_id)


def check_can_debit_account(principal: Principal, account_id: int, owner_id: int | None) -> None:
    """Money leaves an account only on its owner's or an administrator's word."""
    if principal.is_admin or (principal.role is not Role.AUDITOR and owner_id == principal.user_id):
        return
    raise errors.NotAccountOwner(
        f"You may not move money out of account {account_id}", account_id=account_id
    )
