"""How an administrator's or auditor's page is drawn: with whether the person may use its forms
(auditors read only), the words for the services' codes (``NAMES``) and each currency's decimals,
besides the page's own values."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from torekes.domain.access import Principal
from torekes.web.admin.names import NAMES
from torekes.web.roles import ADMIN_ACTORS
from torekes.web.session import PageContext


def render(page: PageContext, template: str, who: Principal, **values: Any) -> Response:
    """The page, with what every administration page with lists and forms needs."""
    return page.render(
        template,
        can_act=who.role in ADMIN_ACTORS,
        decimals_of=page.decimals_of,
        **NAMES,
        **values,
    )
