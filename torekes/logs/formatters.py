"""Log formatters: one JSON object per line for machines, one plain line for a developer's
terminal. Both stamp the time in UTC and the id of the request the line was written for.

A JSON line holds ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, ``request_id``,
the record's extra fields (``logger.info(..., extra={...})``) and, when there is one, the whole
traceback as the single field ``exception``. Extra fields never replace those members.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from torekes.logs.context import current_request_id

# Attributes every LogRecord has, which are not extra fields; uvicorn adds a coloured copy of
# its message that a JSON line does not need.
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
    "taskName",
}


def request_id_of(record: logging.LogRecord) -> str | None:
    """The id passed with the record (``extra={"request_id": ...}``), else the current one."""
    explicit = record.__dict__.get("request_id")
    return explicit if isinstance(explicit, str) else current_request_id()


def utc_timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": utc_timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_of(record),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD_ATTRIBUTES and name not in line:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message`` (and any traceback below) for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = request_id_of(record) or "-"
        return f"{utc_timestamp(record)} {record.levelname:<7} {record.name} [{request_id}] {text}"
