"""Many rows written and read back as plain tuples through the database cursor, for the import path and the
benchmarks' histories (written by ``COPY`` on PostgreSQL, ``executemany`` on SQLite).

Statements are built once from a model's ``_meta`` (table and column names, so they follow the migrations);
values are converted the way their fields need, one column at a time; columns a caller leaves out take the
field's default."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from pydantic import TypeAdapter
from pydantic_core import from_json

from aftersales.core.rows.tables import AS_THEY_ARE, marks

Row = tuple[Any, ...]
# Turns one column of values (as many as there are rows) into what the driver takes.
Convert = Callable[[Sequence[Any]], Sequence[Any]]


class Insert:
    """``INSERT INTO <model's table> (…) VALUES …`` (``COPY`` on PostgreSQL) for rows that give ``columns``
    (attribute names, ``shop_id`` for a foreign key) in that order, plus ``same``: columns whose value is one
    for all the rows of a run (converted once); every other column but the primary key gets its field's
    default."""

    def __init__(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        db: BaseDatabaseWrapper,
        *,
        same: Sequence[str] = (),
    ) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
        given = [fields[name] for name in columns]
        shared = [fields[name] for name in same]
        rest = [f for name, f in fields.items() if name not in columns and name not in same]
        self.db = db
        self.shared = shared
        self.defaults: Row = tuple(f.get_db_prep_save(f.get_default(), db) for f in rest)
        self.converts = [(i, c) for i, f in enumerate(given) if (c := _converter(f, db)) is not None]
        quote = db.ops.quote_name
        names = ", ".join(quote(_column(f)) for f in (*given, *shared, *rest))
        values = marks(len(given) + len(shared) + len(rest))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({values})"
        # PostgreSQL takes many rows fastest by ``COPY``: one statement, the rows streamed in the driver's
        # text form, with the constraints and defaults of an ``INSERT``.
        self.copy_sql = (
            f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN" if db.vendor == "postgresql" else None
        )

    def run(self, cursor: CursorWrapper, rows: Sequence[Row], **same: Any) -> int:
        """Inserts ``rows`` (each with a value for every one of ``columns``), all with the ``same`` values
        (by attribute name)."""
        if not rows:
            return 0
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for i, convert in self.converts:
            columns[i] = convert(columns[i])
        if same.keys() != {f.attname for f in self.shared}:
            raise TypeError(f"give the same values for {[f.attname for f in self.shared]}, not {list(same)}")
        shared = [f.get_db_prep_save(same[f.attname], self.db) for f in self.shared]
        tail = map(repeat, (*shared, *self.defaults))
        data = zip(*columns, *tail, strict=False)
        if self.copy_sql is None:
            cursor.executemany(self.sql, list(data))
        else:
            self._copy(cursor, data, len(rows))
        return len(rows)

    def _copy(self, cursor: CursorWrapper, data: Iterable[Row], n: int) -> None:
        """``COPY … FROM STDIN`` on the driver's cursor, its errors as Django's (an ``IntegrityError`` for a key
        already there), and in Django's log of queries when it keeps one, as ``executemany`` would be."""
        assert self.copy_sql is not None
        start = time.monotonic()
        with self.db.wrap_database_errors, cursor.cursor.copy(self.copy_sql) as copy:
            for row in data:
                copy.write_row(row)
        if self.db.queries_logged:
            took = time.monotonic() - start
            self.db.queries_log.append({"sql": f"{n} times: {self.copy_sql}", "time": f"{took:.3f}"})


def _column(field: Any) -> str:
    column = field.column
    assert isinstance(column, str), f"{field} has no column"
    return column


def _converter(field: models.Field[Any, Any], db: BaseDatabaseWrapper) -> Convert | None:
    """How a column of ``field`` becomes what the driver takes; ``None`` when its values go as they are."""
    if isinstance(field, models.DateTimeField):
        return stamp_converter(db)
    if isinstance(field, AS_THEY_ARE):
        return None
    return lambda values: [field.get_db_prep_save(v, db) for v in values]


def stamp_converter(db: BaseDatabaseWrapper) -> Convert | None:
    """Aware datetimes as the backend stores them: PostgreSQL's driver takes them as they are; SQLite keeps
    the text Django writes (naive, in the connection's time zone, ``YYYY-MM-DD HH:MM:SS[.ffffff]``)."""
    if db.vendor == "postgresql":
        return None
    adapt = db.ops.adapt_datetimefield_value
    zone = db.timezone
    if db.vendor == "sqlite" and zone is not None and zone.utcoffset(None) == timedelta(0):
        return _utc_texts
    return lambda values: [adapt(v) for v in values]


_STAMPS: TypeAdapter[list[datetime | None]] = TypeAdapter(list[datetime | None])


def _utc_texts(values: Sequence[datetime | None]) -> list[str | None]:
    """SQLite's text of aware datetimes in UTC, a column at a time: pydantic writes them in one go as ISO 8601
    (``2026-11-08T02:00:00.123456Z``), which differs from Django's form by the ``T`` and the ``Z`` alone."""
    utc = []
    for value in values:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError(f"{value} has no time zone")
            value = value.astimezone(UTC)
        utc.append(value)
    texts: list[str | None] = from_json(_STAMPS.dump_json(utc).replace(b"T", b" ").replace(b"Z", b""))
    return texts


def select_in(
    cursor: CursorWrapper,
    model: type[models.Model],
    columns: Sequence[str],
    key: str,
    values: Iterable[Any],
    *,
    also: tuple[str, Any] | None = None,
) -> list[Row]:
    """``columns`` (attribute names) of the rows whose ``key`` is one of ``values`` (and ``also`` = value),
    in as few statements as the backend's limit on parameters allows."""
    db = cursor.db
    meta = model._meta
    quote = db.ops.quote_name

    def column(name: str) -> str:
        return quote(_column(meta.get_field(name)))

    head = f"SELECT {', '.join(column(c) for c in columns)} FROM {quote(meta.db_table)} WHERE "
    extra: list[Any] = []
    if also is not None:
        head += f"{column(also[0])} = %s AND "
        extra = [also[1]]
    wanted = list(values)
    step = (db.features.max_query_params or 10_000) - len(extra)
    found: list[Row] = []
    for start in range(0, len(wanted), step):
        chunk = wanted[start : start + step]
        cursor.execute(f"{head}{column(key)} IN ({marks(len(chunk))})", [*extra, *chunk])
        found += cursor.fetchall()
    return found
