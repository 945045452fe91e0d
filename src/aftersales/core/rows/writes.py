"""Writing rows by built statements: insert, update, update by condition; and the pipeline in which writes
nobody waits for go to PostgreSQL together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Field, Model

from aftersales.core.rows.cursors import in_pipeline, rows_of, run
from aftersales.core.rows.tables import (
    STORED,
    M,
    _Cond,
    _conditions,
    _prep,
    _q,
    _shape,
    _table,
    _where_sql,
    changed,
    db,
    marks,
    stored,
)

if TYPE_CHECKING:
    from aftersales.core.postgres_trips.base import DatabaseWrapper as TripsWrapper


@cache
def _insert_sql(model: type[Model], vendor: str, returning: bool) -> tuple[str, tuple[Field[Any, Any], ...]]:
    table = _table(model, vendor)
    fields = table.writable
    columns = ", ".join(_q(f.column) for f in fields)
    values = marks(len(fields))
    assert model._meta.pk is not None
    tail = f" RETURNING {_q(model._meta.pk.column)}" if returning else ""
    return f"INSERT INTO {table.name} ({columns}) VALUES ({values}){tail}", fields


def insert(obj: M, *, returning: bool = True) -> M:
    """Insert ``obj`` and mark it as saved. Its primary key is read back unless ``returning`` is False
    (a row nobody refers to by id in this command, which then costs no wait inside ``pipeline``)."""
    on = db()
    sql, fields = _insert_sql(type(obj), on.vendor, returning)
    table = _shape(type(obj), on)
    values = [_prep(table, f.attname, getattr(obj, f.attname), on) for f in fields]
    if returning:
        obj.pk = rows_of(sql, values, on=on)[0][0]
    else:
        run(sql, values, on=on)
    stored(obj, table)
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    return obj


def insert_all(objs: Iterable[M], *, returning: bool = True) -> list[M]:
    return [insert(obj, returning=returning) for obj in objs]


@contextmanager
def pipeline() -> Iterator[None]:
    """Statements whose results nobody reads go to PostgreSQL together, in one round trip, when the block
    ends (psycopg's pipeline mode); a read inside still waits for its answer. Errors come out as Django's
    database errors at the end of the block at the latest. On SQLite, which has no round trips, it does
    nothing. Use it inside a transaction.

    Inside a transaction ``atomic()`` began on the project's backend (``postgres_trips``) the pipeline is
    held instead: it stays open when the block ends, the rows layer's next statements ride it, and it goes
    with the ``COMMIT`` (or before the first statement of another kind); errors come out there."""
    on = db()
    if on.vendor != "postgresql":
        yield
        return
    on.ensure_connection()
    if hasattr(on, "holds_pipelines") and on.holds_pipelines():
        trips = cast("TripsWrapper", on).trips()
        with on.wrap_database_errors:
            trips.hold()
        try:
            yield
        finally:
            trips.release()
        return
    if in_pipeline(on):  # already inside one: ride it
        yield
        return
    with on.wrap_database_errors, on.connection.pipeline():
        yield


@cache
def _update_sql(model: type[Model], vendor: str, columns: tuple[str, ...], conds: _Cond) -> str:
    table = _table(model, vendor)
    sets = ", ".join(f"{_q(table.by_attname[c].column)} = %s" for c in columns)
    return f"UPDATE {table.name} SET {sets} WHERE {_where_sql(table, conds)}"


def update(obj: Model, fields: Sequence[str] | None = None) -> None:
    """Write ``fields`` (attnames) of ``obj`` to its row; when None, the fields that changed since it was read
    or last written here (every field but the key for an instance read elsewhere). Writing fewer columns is
    cheaper than the statement: on SQLite an index none of whose columns is written is left alone."""
    model = type(obj)
    on = db()
    table = _shape(model, on)
    names = tuple(fields) if fields is not None else changed(obj, table)
    if names is None:
        names = _all_but_key(model, on.vendor)
    if not names:
        return
    sql = _update_sql(model, on.vendor, names, (("id", None),))
    values = [_prep(table, n, getattr(obj, n), on) for n in names]
    run(sql, [*values, obj.pk], on=on)
    if STORED in obj.__dict__:
        stored(obj, table, names)


def save(obj: Model) -> None:
    """Insert ``obj`` (without reading its id back) or, when it is stored already, update all its fields."""
    if obj._state.adding:
        insert(obj, returning=False)
    else:
        update(obj)


def update_where(model: type[Model], values: dict[str, Any], **where: Any) -> None:
    """``UPDATE … SET values WHERE where`` (equality, or ``IN`` for a list)."""
    on = db()
    table = _shape(model, on)
    conds, where_params = _conditions(where)
    sql = _update_sql(model, on.vendor, tuple(values), conds)
    params = [_prep(table, n, v, on) for n, v in values.items()]
    run(sql, [*params, *where_params], on=on)


@cache
def _all_but_key(model: type[Model], vendor: str) -> tuple[str, ...]:
    return tuple(f.attname for f in _table(model, vendor).writable)
