"""The words the administration's pages show for the codes the services use: kinds of accounts,
states of accounts, cards, redemptions and approval requests, kinds of approval requests, and
roles (gettext messages, translated when shown).
Every page hands them to its template as ``NAMES`` (see ``rendering``)."""

from __future__ import annotations

from typing import Any

from torekes.web.problems import N_

KIND_NAMES = {
    "issuance": N_("Issuance"),
    "budget": N_("Project budget"),
    "member": N_("Member wallet"),
    "shop": N_("Shop"),
    "partner": N_("Partner"),
    "redemption": N_("Redeemed tokens"),
}
STATUS_NAMES = {
    "active": N_("active"),
    "frozen": N_("frozen"),
    "closed": N_("closed"),
    "blocked": N_("blocked"),
    "requested": N_("requested"),
    "approved": N_("approved"),
    "paid": N_("paid"),
    "rejected": N_("rejected"),
    "open": N_("open"),
    "pending": N_("waiting"),
}
APPROVAL_KIND_NAMES = {
    "issuance": N_("Issuing new tokens"),
    "entry": N_("General entry"),
    "reversal": N_("Reversal"),
    "transfer": N_("Transfer"),
    "redemption_approval": N_("Approving a redemption"),
    "redemption_payment": N_("Paying a redemption"),
    "settlement": N_("Making a settlement"),
    "settlement_payment": N_("Paying a settlement"),
    "administrator": N_("A new administrator"),
    "administrator_password": N_("Another administrator's password"),
    "user_password": N_("Someone's new password"),
    "euro_rate": N_("A new euro rate"),
    "payout_details": N_("Where a shop's euros are paid"),
    "administrator_deactivation": N_("Deactivating an administrator"),
    "administrator_reactivation": N_("Reactivating an administrator"),
}
ROLE_NAMES = {
    "admin": N_("Administrator"),
    "auditor": N_("Auditor"),
    "coordinator": N_("Coordinator"),
    "shopkeeper": N_("Shopkeeper"),
    "member": N_("Member"),
}
NAMES: dict[str, Any] = {
    "kind_names": KIND_NAMES,
    "status_names": STATUS_NAMES,
    "role_names": ROLE_NAMES,
    "approval_kind_names": APPROVAL_KIND_NAMES,
}
