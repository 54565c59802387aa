"""Who may look at each audience's pages and who may use their forms, as role sets named for what
they are: ``page.require(*PROJECT_READERS)`` opens a page, ``who.role in PROJECT_ACTORS`` decides
whether it shows its forms.

Each role lands on its own work after signing in and on ``/`` (``landing``): a member on the
wallet, a shopkeeper at the till, a coordinator on the projects, an administrator and an auditor
on the dashboard. Everyone's own wallet stays at ``/wallet``.

Members' pages need only a signed-in person (their services check whose account it is). Auditors
read everything an administrator reads and a coordinator's pages too, and change nothing.
"""

from __future__ import annotations

from torekes.domain.access import Role

# The administration's pages (dashboard, accounts, redemptions, audit, users, cards).
ADMIN_READERS = (Role.ADMIN, Role.AUDITOR)
ADMIN_ACTORS = (Role.ADMIN,)

# The coordinator's pages (projects, activities, sheets of codes, claims to decide):
# coordinators inside their own projects, administrators everywhere.
PROJECT_READERS = (Role.ADMIN, Role.COORDINATOR, Role.AUDITOR)
PROJECT_ACTORS = (Role.ADMIN, Role.COORDINATOR)

# The shop's pages (the till, payments and refunds, card payments, redeeming).
SHOP_KEEPERS = (Role.SHOPKEEPER,)

# Where each role lands after signing in and on ``/``; members are shown their wallet there.
WALLET = "/wallet"
LANDINGS = {
    Role.MEMBER: "/",
    Role.SHOPKEEPER: "/till",
    Role.COORDINATOR: "/projects",
    Role.ADMIN: "/admin",
    Role.AUDITOR: "/admin",
}


def landing(role: Role) -> str:
    """The page a person of this role lands on."""
    return LANDINGS[role]


# Who shows a member's balance and history with the member's card and PIN: a shopkeeper at the
# counter, an administrator at the desk (``torekes.counter.acts``).
MEMBER_SERVERS = (Role.SHOPKEEPER, Role.ADMIN)
