"""Django's SQLite backend, with the writers of one database file queued by the kernel.

A write transaction starts with ``BEGIN IMMEDIATE``. When another connection holds the write lock, SQLite's
busy handler sleeps and tries again, sleeping longer each time (1, 2, 5, 10 … ms), so a writer often sleeps
on after the lock came free: with two web processes writing, each spent about a fifth of its time there.
Here each connection first takes an exclusive ``flock`` on a file beside the database, and lets it go when
its transaction ends: a waiting writer wakes the moment the one before it is done. Writes made outside a
transaction (in autocommit) and other programs still meet SQLite's own lock and its busy handler, as before,
and so does every writer when the file beside the database cannot be made (a read-only directory). An
in-memory database has no file: nothing changes there. The lock is the kernel's, so a process that dies
holding it lets it go.

It also reads a stored time as an aware one at once: Django's converter for columns declared ``datetime``
gives a naive time that its field converter (or the rows layer's) then makes aware, a second pass over every
time of every row. Here, while the database's times are UTC (``USE_TZ`` without a ``TIME_ZONE`` of the
database, as the settings have it), the driver's converter gives the aware time itself; Django's own
converters leave an aware time as it is."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from datetime import UTC, datetime
from typing import Any

from django.db.backends.sqlite3 import base
from django.utils.dateparse import parse_datetime


def utc_datetime(value: bytes) -> datetime | None:
    """A stored time (UTC, in Django's text: ``YYYY-MM-DD HH:MM:SS[.ffffff]``) as an aware time; the driver
    calls it for every value of a column declared ``datetime`` or ``timestamp`` that is not NULL. Read with
    its offset written on (``replace(tzinfo=…)`` after would cost four times the reading)."""
    text = value.decode()
    try:
        return datetime.fromisoformat(text + "+00:00")
    except ValueError:
        # A text with its own offset, or one only Django's parser reads; else None, as Django's gives.
        at = parse_datetime(text)
        return at if at is None or at.tzinfo is not None else at.replace(tzinfo=UTC)


# What Django's backend registers for them, for a database whose times are not UTC.
_DJANGOS_DATETIME = base.decoder(parse_datetime)


class DatabaseWrapper(base.DatabaseWrapper):
    _writers_file: int | None = None
    _writing = False

    @property
    def reads_times_aware(self) -> bool:
        """Whether the driver gives a stored time as an aware one (``utc_datetime``)."""
        return bool(self.timezone == UTC)

    def get_new_connection(self, conn_params: Any) -> Any:
        # The driver's converters are the module's, not a connection's: the last connection made decides.
        for declared in ("datetime", "timestamp"):
            sqlite3.register_converter(
                declared, utc_datetime if self.reads_times_aware else _DJANGOS_DATETIME
            )
        conn = super().get_new_connection(conn_params)
        self._close_writers_file()
        if not self.is_in_memory_db():
            try:
                self._writers_file = os.open(
                    self.writers_path(), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
            except OSError:
                self._writers_file = None
        return conn

    def writers_path(self) -> str:
        """The file whose lock the writers of this database queue for."""
        return f"{self.settings_dict['NAME']}.writers"

    def _start_transaction_under_autocommit(self) -> None:
        if self._writers_file is not None and not self._writing:
            fcntl.flock(self._writers_file, fcntl.LOCK_EX)
            self._writing = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private, not in the stubs
        except BaseException:
            self._let_writers_in()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._let_writers_in()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._let_writers_in()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._close_writers_file()

    def _let_writers_in(self) -> None:
        if self._writing and self._writers_file is not None:
            fcntl.flock(self._writers_file, fcntl.LOCK_UN)
        self._writing = False

    def _close_writers_file(self) -> None:
        self._let_writers_in()
        if self._writers_file is not None:
            os.close(self._writers_file)
            self._writers_file = None
