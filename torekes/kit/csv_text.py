"""CSV for spreadsheets and bookkeepers: one header, CRLF line ends, amounts as decimals.

Text a person typed (memos, names) is written so that a spreadsheet shows it rather than runs
it: a cell starting with ``=``, ``+``, ``-``, ``@`` or a control character gets a leading
apostrophe, the usual defence against formula injection. Numbers are never touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

Cell = str | int | Decimal | datetime | bool | None


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def whole_units(amount: int, decimals: int) -> Decimal:
    """Minor units as a number of whole units: 1250 with two decimals is ``12.50``."""
    return Decimal(amount).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals))


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    return str(value)
