"""Running the built statements on the driver's cursor, as Django's cursor runs them but without wrapping the
driver's cursor anew for every statement: one cursor per connection serves the statements whose answer is
read at once, and a fresh one each of those whose answers come back together.

What Django's wrapper adds is kept: the driver's errors come out as Django's (``IntegrityError``…), a broken
transaction refuses more statements, and while queries are being counted or logged (``assertNumQueries``,
``CaptureQueriesContext``, ``DEBUG``) or an ``execute_wrapper`` is installed, every statement goes through
Django's own cursor, so it is seen there exactly as before. On PostgreSQL the answers come in binary form
(``binary_answers``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

from aftersales.core.rows.tables import Statement, db

_KEPT = "_rows_kept"


@dataclass
class _Kept:
    """What rows keeps for one open connection of the driver: its cursor, the reading cursors of statements
    read together (PostgreSQL), made when first needed. A new connection gets a new one."""

    raw: Any
    cursor: Any = None
    readers: list[Any] = field(default_factory=list)


def _seen_by_django(on: BaseDatabaseWrapper) -> bool:
    return bool(on.queries_logged or on.execute_wrappers)


def _ready(on: BaseDatabaseWrapper) -> _Kept:
    """What is kept for the open connection of ``on``, in a transaction that can still run statements."""
    on.close_if_health_check_failed()
    if on.connection is None:  # ``ensure_connection`` would first look for a running event loop, every time
        on.ensure_connection()
    on.validate_no_broken_transaction()
    raw = on.connection
    kept: _Kept | None = on.__dict__.get(_KEPT)
    if kept is None or kept.raw is not raw:
        if on.vendor == "postgresql":
            from aftersales.core.rows import binary_answers  # the driver is loaded only where it is used

            binary_answers.prepare(raw)
        kept = on.__dict__[_KEPT] = _Kept(raw)
    return kept


def _execute(on: BaseDatabaseWrapper, cur: Any, sql: str, params: Sequence[Any]) -> None:
    if on.vendor == "postgresql":
        # Answers in PostgreSQL's binary form: the driver reads times and numbers from them in C, where the
        # text form of a time would be parsed again in Python for every value. The backend's cursor lets the
        # statement ride the transaction's held pipeline (``postgres_trips``).
        execute = getattr(cur, "execute_riding", None) or cur.execute
        execute(sql, params, binary=True)
    else:
        # The driver's own execute, with the statement's ``%s`` turned into SQLite's ``?`` once per statement
        # rather than by Django's cursor on every run.
        sqlite3.Cursor.execute(cur, _qmark(sql), params)


@lru_cache(maxsize=4096)
def _qmark(sql: str) -> str:
    """``sql`` with ``%s`` as SQLite's ``?`` (and ``%%`` as ``%``), as Django's SQLite cursor converts it."""
    return str(FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%"))


def _kept_cursor(on: BaseDatabaseWrapper) -> Any:
    kept = _ready(on)
    if kept.cursor is None:
        kept.cursor = on.create_cursor()
    return kept.cursor


def in_pipeline(on: BaseDatabaseWrapper) -> bool:
    """True inside psycopg's pipeline on PostgreSQL, where statements are sent before earlier answers came."""
    return (
        on.vendor == "postgresql" and on.connection is not None and bool(on.connection.pgconn.pipeline_status)
    )


def run(sql: str, params: Sequence[Any], *, on: BaseDatabaseWrapper | None = None) -> None:
    """A statement whose answer nobody reads (inside a pipeline it is only sent)."""
    on = on or db()
    if _seen_by_django(on):
        with on.cursor() as cur:
            cur.execute(sql, params)
        return
    cur = _kept_cursor(on)
    with on.wrap_database_errors:
        _execute(on, cur, sql, params)


def rows_of(
    sql: str, params: Sequence[Any], *, on: BaseDatabaseWrapper | None = None
) -> list[tuple[Any, ...]]:
    """Every row a statement answers."""
    on = on or db()
    if _seen_by_django(on):
        with on.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())
    # Inside a pipeline the kept cursor may still await the answers of writes sent before: a reading one.
    cur = _kept_cursor(on) if not in_pipeline(on) else _reader(on, 0)
    with on.wrap_database_errors:
        _execute(on, cur, sql, params)
        return list(cur.fetchall())


def rows_together(statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, all sent before any answer is read (call it inside a pipeline)."""
    on = db()
    if _seen_by_django(on):
        cursors = []
        try:
            for sql, params in statements:
                cur = on.cursor()
                cursors.append(cur)
                cur.execute(sql, params)
            return [list(cur.fetchall()) for cur in cursors]
        finally:
            for cur in cursors:
                cur.close()
    with on.wrap_database_errors:
        sent = []
        for k, (sql, params) in enumerate(statements):
            cur = _reader(on, k)
            _execute(on, cur, sql, params)
            sent.append(cur)
        return [list(cur.fetchall()) for cur in sent]


def _reader(on: BaseDatabaseWrapper, k: int) -> Any:
    """The ``k``-th of the connection's reading cursors: the statements whose answers come back together each
    need a cursor of their own, and every answer is read before the call that sent them returns, so on
    PostgreSQL the same few serve every call (a new cursor copies the connection's adapters and learns its
    loaders again). On SQLite a statement whose rows were not all read (a read that failed halfway) keeps its
    table locked until its cursor goes: each read there has a new one, which costs next to nothing."""
    kept = _ready(on)
    if on.vendor != "postgresql":
        return on.create_cursor()
    while len(kept.readers) <= k:
        kept.readers.append(on.create_cursor())
    return kept.readers[k]
