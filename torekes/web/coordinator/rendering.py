"""How a coordinator's page is drawn: about one project, with its currency's decimals, whether
the person may use its forms (auditors read only), and hours written the way the page's
language writes them."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from fastapi.responses import Response

from torekes.domain.access import Principal
from torekes.earning.read_models import ProjectView
from torekes.web import i18n
from torekes.web.roles import PROJECT_ACTORS
from torekes.web.session import PageContext


def render(
    page: PageContext,
    template: str,
    actor: Principal,
    project: ProjectView,
    status: int = 200,
    **values: Any,
) -> Response:
    """The page about ``project``, with what every coordinator's page needs besides its own
    values."""
    return page.render(
        template,
        status,
        project=project,
        decimals=page.decimals_of(project.currency),
        may_act=actor.role in PROJECT_ACTORS,
        hours=lambda number: format_decimal(number, locale=i18n.number_locale(page.lang)),
        **values,
    )
