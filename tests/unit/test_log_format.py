"""Log lines and the logging settings, without a server: a JSON line's members, extra fields and
traceback; the text line; the request id a line carries; the format and level the settings
choose; and the configuration that replaces uvicorn's access line and silences SQL."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import sys
from collections.abc import Iterator
from contextvars import copy_context
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from torekes.logs.config import logging_config
from torekes.logs.context import accepted_request_id, current_request_id, set_request_id
from torekes.logs.formatters import JsonFormatter, TextFormatter
from torekes.settings import Environment, LogFormat, LogLevel, Settings

SECRET = "a-production-secret-of-forty-characters!"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TOREKES_ variable from the caller's shell, and no ``.env`` file in the working dir."""
    for name in list(os.environ):
        if name.startswith("TOREKES_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def record(message: str = "paid %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("torekes.test", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def in_request(request_id: str, formatter: logging.Formatter, line: logging.LogRecord) -> str:
    def format_it() -> str:
        set_request_id(request_id)
        return formatter.format(line)

    return copy_context().run(format_it)


def test_a_json_line_holds_the_members_and_the_extra_fields() -> None:
    line = json.loads(in_request("r-1", JsonFormatter(), record("paid %s", 5, amount=5)))
    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "torekes.test",
        "message": "paid 5",
        "request_id": "r-1",
        "amount": 5,
    }
    assert line["time"].endswith("Z")


def test_extra_fields_never_replace_a_member_and_odd_values_become_text() -> None:
    line = json.loads(
        JsonFormatter().format(record("x", level="fake", logger="fake", rate=Decimal("0.10")))
    )
    assert (line["level"], line["logger"]) == ("WARNING", "torekes.test")
    assert line["request_id"] is None
    assert line["rate"] == "0.10"


def test_an_explicit_request_id_wins_over_the_current_one() -> None:
    line = json.loads(in_request("r-current", JsonFormatter(), record("x", request_id="r-given")))
    assert line["request_id"] == "r-given"


def test_a_traceback_is_one_field_of_one_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        failing = record("failed")
        failing.exc_info = sys.exc_info()
    text = JsonFormatter().format(failing)
    assert "\n" not in text
    line = json.loads(text)
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("ValueError: broken")


def test_a_text_line_says_time_level_logger_request_and_message() -> None:
    text = in_request("r-2", TextFormatter(), record("paid %s", 5))
    assert text.endswith(" WARNING torekes.test [r-2] paid 5")
    assert text[:24].endswith("Z")
    assert TextFormatter().format(record("x")).endswith("[-] x")


def test_request_ids_stay_in_their_context() -> None:
    copy_context().run(set_request_id, "elsewhere")
    assert current_request_id() is None
    assert accepted_request_id("ok-1") == "ok-1"
    assert accepted_request_id("not ok") != "not ok"


def test_the_format_follows_the_environment_unless_set() -> None:
    assert Settings().log_format_in_use is LogFormat.TEXT
    production = Settings(
        environment=Environment.PRODUCTION,
        secret_key=SECRET,
        public_base_url="https://torekes.example",
    )
    assert production.log_format_in_use is LogFormat.JSON
    assert Settings(log_format="json").log_format_in_use is LogFormat.JSON
    assert Settings(log_level="debug").log_level is LogLevel.DEBUG
    with pytest.raises(ValidationError):
        Settings(log_format="xml")
    with pytest.raises(ValidationError):
        Settings(log_level="loud")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The logging configuration as it was, after the test configured its own."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "torekes.access", "sqlalchemy")
    saved = {
        name: (logger.handlers[:], logger.level, logger.propagate)
        for name in names
        for logger in [logging.getLogger(name)]
    }
    yield
    root.handlers[:], root.level = handlers, level
    for name, (old_handlers, old_level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.level, logger.propagate = old_handlers, old_level, propagate


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize(("access_log", "access_level"), [(True, "INFO"), (False, "WARNING")])
def test_the_configuration_replaces_uvicorns_access_line_and_silences_sql(
    access_log: bool, access_level: str
) -> None:
    settings = Settings(log_format="json", log_level="WARNING")
    config = logging_config(settings, access_log)
    logging.config.dictConfig(config)
    assert isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)
    assert logging.getLogger().level == logging.WARNING
    assert logging.getLogger("uvicorn.error").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("torekes.access").level == logging.getLevelName(access_level)
    assert logging.getLogger("uvicorn.access").propagate is False
    assert logging.getLogger("uvicorn.access").handlers == []
    assert logging.getLogger("sqlalchemy").level == logging.WARNING
    assert logging_config(Settings(access_log=True))["loggers"]["torekes.access"]["level"] == "INFO"
