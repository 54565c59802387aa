"""How a page answers with another page instead of itself (sign in first, a refusal in plain
words): the answer is raised as a ``PageRefusal`` from wherever it is decided, and one exception
handler, installed on the application with the pages, sends it. A route cannot forget to pass it
on, as it could forget to return it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response

from torekes.domain import errors


class PageRefusal(Exception):
    """The response a page sends instead of itself, made by the page (with its cookies)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@contextmanager
def refusals_as_pages(explain: Callable[[errors.TorekesError], Response]) -> Iterator[None]:
    """Inside, a refusal of the services is answered with the page ``explain`` makes of it."""
    try:
        yield
    except errors.TorekesError as error:
        raise PageRefusal(explain(error)) from error


async def _send(request: Request, refusal: Exception) -> Response:
    assert isinstance(refusal, PageRefusal)
    return refusal.response


def install_page_refusals(app: FastAPI) -> None:
    """Send each page's ``PageRefusal`` as the response it carries."""
    app.add_exception_handler(PageRefusal, _send)
