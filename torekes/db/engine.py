"""Engines and sessions for SQLite (the embedded default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on. Its write sessions begin with ``BEGIN IMMEDIATE``
so that concurrent writers queue on the database lock (with a generous busy timeout) instead of
failing halfway; within one process they also queue on a lock of their own first, which keeps the
database's busy-waiting out of the way. Read sessions begin deferred and see one WAL snapshot.

PostgreSQL writes run in READ COMMITTED and lock the rows they check (``SELECT ... FOR UPDATE``);
reads run in REPEATABLE READ so that a multi-statement report (a statement, an audit) sees one
snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 60_000


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=16,
        hide_parameters=True,  # error messages (and so logged tracebacks) show no row values
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below instead of the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(begin_sql)

    return engine


class Database:
    """The connection to one database: a write path and a read path."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.write_engine = create_engine(
                url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True
            )
            self.read_engine = self.write_engine.execution_options(
                isolation_level="REPEATABLE READ"
            )
        self._writer_factory = sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader_factory = sessionmaker(self.read_engine, expire_on_commit=False)
        self._process_write_lock = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session whose transaction the caller commits; anything uncommitted is rolled back."""
        if self._process_write_lock is None:
            with self._writer_factory() as session:
                yield session
            return
        with self._process_write_lock, self._writer_factory() as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self._reader_factory() as session:
            yield session

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
