"""The logging configuration of a running service, as one ``dictConfig`` dictionary: uvicorn
applies it in its own process and in every worker it starts, so the server's lines and the
service's come out alike, on stderr, in the format and at the level the settings say.

uvicorn's own access line is switched off: it shows the raw path and query string, where
payment, claim and card codes travel. ``torekes.access`` writes one line per request instead,
with the route's template (``/p/{code}``), the status and the duration.
"""

from __future__ import annotations

import logging.config
from typing import Any

from torekes.logs.formatters import JsonFormatter, TextFormatter
from torekes.settings import LogFormat, Settings

ACCESS_LOGGER = "torekes.access"


def logging_config(settings: Settings, access_log: bool | None = None) -> dict[str, Any]:
    """The configuration for ``settings``; ``access_log`` overrides ``settings.access_log``."""
    formatter = JsonFormatter if settings.log_format_in_use is LogFormat.JSON else TextFormatter
    level = settings.log_level.value
    with_access = settings.access_log if access_log is None else access_log
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"torekes": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "torekes",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            ACCESS_LOGGER: {"level": "INFO" if with_access else "WARNING"},
            # At INFO and DEBUG SQLAlchemy logs every statement and row: digests, hashes and
            # names have no place in the service's log at any level.
            "sqlalchemy": {"level": "WARNING"},
        },
    }


def configure_logging(settings: Settings, access_log: bool | None = None) -> None:
    logging.config.dictConfig(logging_config(settings, access_log))
