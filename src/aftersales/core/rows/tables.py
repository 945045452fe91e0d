"""What the built statements know of a model: its table, columns and conversions, built once per model;
conditions of equality or ``IN``; and turning a fetched row into a model instance."""

from __future__ import annotations

import re
import threading
from asyncio import _get_running_loop
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)

# Fields whose Python values (str, int, bool, a primary key) every driver takes as they are, on the way in;
# on the way out only the converters ``_table`` finds apply (SQLite gives booleans back as integers).
AS_THEY_ARE = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


Converter = Callable[[Any, Any, Any], Any]


def marks(count: int) -> str:
    """``%s, %s, …``: the placeholders of ``count`` parameters (an ``IN`` list, a row of values)."""
    return ", ".join(["%s"] * count)


# A statement and its parameters, for ``read_together``.
Statement = tuple[str, Sequence[Any]]


@dataclass(frozen=True)
class _Table:
    name: str
    fields: tuple[Field[Any, Any], ...]
    # Every field but the primary key: what an insert writes, and an update of the whole row.
    writable: tuple[Field[Any, Any], ...]
    by_attname: dict[str, Field[Any, Any]]
    attnames: list[str]
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]
    # Fields whose values go to the driver as they are (``AS_THEY_ARE``).
    plain: frozenset[str]
    # Writable fields whose values can change in place (a JSON list or dict): an update always writes them.
    mutable: frozenset[str]


# A run of digits as long as 2**63's: a number orjson may read as a float where the standard library reads an
# integer (orjson reads integers of 64 bits only).
_LONG_NUMBER = re.compile(r"\d{19}")


def _json(value: Any, expression: Any, conn: Any) -> Any:
    """A JSON field's stored text as its Python value, read by orjson (a fraction of the standard library's
    time on the short lists and objects cases keep). Text that orjson would read otherwise (long numbers) or
    refuses (``NaN``, numbers past a double, deep nesting) the field's own converter reads, as the ORM would."""
    if value is None or not isinstance(value, str):
        return value
    if _LONG_NUMBER.search(value) is None:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            pass
    return expression.output_field.from_db_value(value, expression, conn)


def _q(name: str | None) -> str:
    assert name is not None  # concrete fields have columns
    return str(connection.ops.quote_name(name))


@cache
def _table(model: type[Model], vendor: str) -> _Table:
    fields = tuple(f for f in model._meta.concrete_fields)
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(model._meta.db_table)
        # As the ORM's compiler does: the backend's conversions first, then the field's own.
        found = (*connection.ops.get_db_converters(col), *col.get_db_converters(connection))
        if f.get_internal_type() == "DateTimeField" and getattr(connection, "reads_times_aware", False):
            found = ()  # the driver gave it aware (``core.sqlite_writers``)
        elif vendor == "sqlite" and f.get_internal_type() == "BooleanField":
            found = ()  # declared ``bool``: the driver gave True or False (Django's converter for ``bool``)
        elif isinstance(f, models.JSONField) and f.decoder is None and len(found) == 1:
            found = (_json,)  # only the field's own ``from_db_value``, which this reads the same
        if found:
            converters.append((i, found, col))
    return _Table(
        name=_q(model._meta.db_table),
        fields=fields,
        writable=tuple(f for f in fields if not f.primary_key),
        by_attname={f.attname: f for f in fields},
        attnames=[f.attname for f in fields],
        converters=tuple(converters),
        plain=frozenset(f.attname for f in fields if isinstance(f, AS_THEY_ARE)),
        mutable=frozenset(f.attname for f in fields if isinstance(f, models.JSONField)),
    )


class _ThisThread(threading.local):
    wrapper: BaseDatabaseWrapper | None = None


_this_thread = _ThisThread()


def db() -> BaseDatabaseWrapper:
    """This thread's connection itself: what ``connection`` stands for. Outside an event loop Django keeps one
    per thread, made on first use and never replaced, but each lookup through ``connections`` first checks for
    a running loop by catching an exception; so it is remembered here, per thread. Where a loop runs (a
    browser driver's, in tests) Django answers per context instead, and is asked each time."""
    if _get_running_loop() is not None:
        return connections[DEFAULT_DB_ALIAS]
    found = _this_thread.wrapper
    if found is None:
        found = _this_thread.wrapper = connections[DEFAULT_DB_ALIAS]
    return found


def stamp(at: datetime | None) -> Any:
    """A time as a written-out statement takes it as a parameter (SQLite keeps Django's text of it)."""
    return db().ops.adapt_datetimefield_value(at)


def _shape(model: type[Model], on: BaseDatabaseWrapper | None = None) -> _Table:
    return _table(model, (on or db()).vendor)


def _prep(table: _Table, name: str, value: Any, on: BaseDatabaseWrapper) -> Any:
    if value is None or name in table.plain:
        return value
    return table.by_attname[name].get_db_prep_save(value, on)


# Where an instance keeps the values its row held when read or last written (``stored``).
STORED = "_rows_stored"


def _converted(table: _Table, row: Sequence[Any], on: BaseDatabaseWrapper) -> list[Any]:
    """A fetched row's values as the fields' Python values."""
    values = list(row)
    for i, found, col in table.converters:
        value = values[i]
        for convert in found:
            value = convert(value, col, on)
        values[i] = value
    return values


def _values_of(table: _Table, row: Sequence[Any], on: BaseDatabaseWrapper) -> dict[str, Any]:
    """A fetched row as the fields' Python values by attname (``shop_id``), without a model instance."""
    return dict(zip(table.attnames, _converted(table, row, on), strict=True))


def _from_row(model: type[M], table: _Table, row: Sequence[Any], on: BaseDatabaseWrapper) -> M:
    """A model instance of a fetched row, built the way unpickling builds one (no ``__init__``: the
    values are already the fields' Python values once converted). It remembers them, so that an update
    writes only the fields that changed since (``changed``)."""
    values = _converted(table, row, on)
    obj = model.__new__(model)
    obj.__dict__.update(zip(table.attnames, values, strict=True))
    obj.__dict__[STORED] = values
    state = ModelState()
    state.adding = False
    state.db = DEFAULT_DB_ALIAS
    obj._state = state
    return obj


def stored(obj: Model, table: _Table, written: Sequence[str] | None = None) -> None:
    """Remember ``obj``'s values as its row now holds them, after a write of the fields ``written`` (all
    when None); the others keep what was remembered of them. A new list each time: a copy of the instance
    keeps its own."""
    held = obj.__dict__.get(STORED)
    if written is None or held is None:
        obj.__dict__[STORED] = [getattr(obj, name) for name in table.attnames]
        return
    names = set(written)
    obj.__dict__[STORED] = [
        getattr(obj, name) if name in names else before
        for name, before in zip(table.attnames, held, strict=True)
    ]


def changed(obj: Model, table: _Table) -> tuple[str, ...] | None:
    """The writable fields of ``obj`` whose values differ from its row's (JSON fields always count, as they
    may have changed in place), or None when its row's values are not known (an instance not read here)."""
    held = obj.__dict__.get(STORED)
    if held is None:
        return None
    return tuple(
        f.attname
        for f, before in zip(table.fields, held, strict=True)
        if not f.primary_key and (f.attname in table.mutable or getattr(obj, f.attname) != before)
    )


# A condition is (attname, None) for ``= %s`` or (attname, n) for ``IN`` with n values.
_Cond = tuple[tuple[str, int | None], ...]


def _conditions(where: dict[str, Any]) -> tuple[_Cond, list[Any]]:
    conds: list[tuple[str, int | None]] = []
    params: list[Any] = []
    for name, value in where.items():
        if isinstance(value, list | tuple | set | frozenset):
            values = list(value)
            conds.append((name, len(values)))
            params.extend(values)
        else:
            conds.append((name, None))
            params.append(value)
    return tuple(conds), params


def _where_sql(table: _Table, conds: _Cond, alias: str = "") -> str:
    parts = []
    for name, n in conds:
        column = alias + _q(table.by_attname[name].column)
        if n is None:
            parts.append(f"{column} = %s")
        elif n == 0:
            parts.append("1 = 0")
        else:
            parts.append(f"{column} IN ({marks(n)})")
    return " AND ".join(parts)
