"""What the shopkeeper's forms send, with their limits, and the counter's page that says no
(``COUNTER_PROBLEM``, drawn by ``page.problem`` or ``page.refuse`` with ``back``, the form to go
back to): each page passes its own words for the refusals it says differently at the counter (the
wallet that falls short is the card member's, not the reader's), the rest are the plain words."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form

Typed = Annotated[str, Form(max_length=30)]
Memo = Annotated[str, Form(max_length=200)]
Key = Annotated[str, Form(max_length=255)]

# The counter's page that says no; it takes ``back``, the form to go back to.
COUNTER_PROBLEM = "shop/problem.html"
