"""How the shopkeeper's forms say no: the counter's page (``COUNTER_PROBLEM``)
(``COUNTER_PROBLEM``, drawn by ``page.problem`` or ``page.refuse`` with ``back``, the form to go
back to): each page passes its own words for the refusals it says differently at the counter (the
wallet that falls short is the card member's, not the reader's), the rest are the plain words.
``at_the_counter`` is how each of those forms starts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from torekes.domain.access import Principal
from torekes.web.roles import SHOP_KEEPERS
from torekes.web.session import PageContext

# The counter's page that says no; it takes ``back``, the form to go back to.
COUNTER_PROBLEM = "shop/problem.html"


@contextmanager
def at_the_counter(
    page: PageContext, back: str, words: Mapping[str, str] | None = None
) -> Iterator[Principal]:
    """The shopkeeper sending a form of the page ``back``, where signing in first leads back to;
    inside, a refusal of the services is the counter's page (in ``words`` where the page says it
    differently), with the way back to the form."""
    actor = page.require(*SHOP_KEEPERS, back=back)
    with page.explaining(words, COUNTER_PROBLEM, back=back):
        yield actor
