"""Reads and writes of model rows for the hot paths (commands, the queue, the worker), by statements built once.

The ORM compiles every query it runs, and on a command that touches six tables that compilation costs more
than the database does (performance.md, B1). These functions build their SQL once per model, field list and
shape of condition from the model's ``_meta`` (so they follow the migrations), convert values with the
fields' own conversions, and run on Django's connection: inside the caller's transaction, seen by query
counting, with Django's error classes. They return and take ordinary model instances.

- ``query``/``fetch`` (and ``get``, ``select``, ``first``): rows by equality or ``IN``, or by a condition in
  SQL, optionally with the row one foreign key points to; several queries travel together in one round trip
  on PostgreSQL, and so do raw statements given to ``read_together``.
- ``insert``, ``update``, ``update_where``, ``save``; inside ``pipeline()`` writes nobody waits for go to
  PostgreSQL together.

Aggregates and other joins are written out by the app that owns them (as ``rows.Statement``), or left to the
ORM where a page is not a hot path."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Field, Model
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)

# Fields whose Python value is what the driver takes, on every backend: no conversion on the way in or out
# except what ``_converters`` finds (SQLite gives booleans back as integers).
_PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)

Converter = Callable[[Any, Any, Any], Any]
# A statement and its parameters, for ``read_together``.
Statement = tuple[str, Sequence[Any]]


@dataclass(frozen=True)
class _Table:
    name: str
    fields: tuple[Field[Any, Any], ...]
    by_attname: dict[str, Field[Any, Any]]
    select_list: str
    attnames: list[str]
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]
    # Fields whose values go to the driver as they are (see ``_PLAIN``).
    plain: frozenset[str]


def _sqlite_utc_datetime(value: Any, expression: Any, conn: Any) -> datetime | None:
    """SQLite's text of a datetime (UTC, as Django writes it: ``YYYY-MM-DD HH:MM:SS[.ffffff]``), aware: the
    same value as Django's converter gives, without its regular expression."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


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
        if vendor == "sqlite" and f.get_internal_type() == "DateTimeField" and connection.timezone == UTC:
            found = (_sqlite_utc_datetime,)
        if found:
            converters.append((i, found, col))
    return _Table(
        name=_q(model._meta.db_table),
        fields=fields,
        by_attname={f.attname: f for f in fields},
        select_list=", ".join(_q(f.column) for f in fields),
        attnames=[f.attname for f in fields],
        converters=tuple(converters),
        plain=frozenset(f.attname for f in fields if f.get_internal_type() in _PLAIN),
    )


def _shape(model: type[Model]) -> _Table:
    return _table(model, connection.vendor)


def _prep(table: _Table, name: str, value: Any) -> Any:
    if value is None or name in table.plain:
        return value
    return table.by_attname[name].get_db_prep_save(value, connection)


def _from_row(model: type[M], table: _Table, row: Sequence[Any]) -> M:
    """A model instance of a fetched row, built the way unpickling builds one (no ``__init__``: the
    values are already the fields' Python values once converted)."""
    values = list(row)
    for i, found, col in table.converters:
        value = values[i]
        for convert in found:
            value = convert(value, col, connection)
        values[i] = value
    obj = model.__new__(model)
    obj.__dict__.update(zip(table.attnames, values, strict=True))
    state = ModelState()
    state.adding = False
    state.db = DEFAULT_DB_ALIAS
    obj._state = state
    return obj


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
            parts.append(f"{column} IN ({', '.join(['%s'] * n)})")
    return " AND ".join(parts)


@dataclass(frozen=True)
class Query(Generic[M]):
    """One ``SELECT`` of a model's rows (with the row one foreign key points to, when ``related`` is set),
    built once per shape; run it with ``fetch`` alone or together with others."""

    model: type[M]
    sql: str
    params: list[Any]
    related: str | None

    @property
    def statement(self) -> Statement:
        return self.sql, self.params

    def parse(self, found: Sequence[Sequence[Any]]) -> list[M]:
        table = _shape(self.model)
        if self.related is None:
            return [_from_row(self.model, table, row) for row in found]
        other_model = _related_model(self.model, self.related)
        other = _shape(other_model)
        width = len(table.fields)
        objs = []
        for row in found:
            obj = _from_row(self.model, table, row[:width])
            setattr(obj, self.related, _from_row(other_model, other, row[width:]))
            objs.append(obj)
        return objs


def _related_model(model: type[Model], related: str) -> type[Model]:
    other = model._meta.get_field(related).related_model
    assert other is not None and not isinstance(other, str)
    return other


def query(
    model: type[M],
    *,
    related: str | None = None,
    lock: bool = False,
    one: bool = False,
    order_by: str = "id",
    **where: Any,
) -> Query[M]:
    """Rows matching ``where`` (fields by attname: ``case_id=7`` for equality, a list for ``IN``), ordered by
    one field; ``one`` keeps the first; ``lock`` takes their row locks (``FOR UPDATE``, of the model's rows
    only) where the database has them; ``related`` names a foreign key whose row comes along."""
    conds, params = _conditions(where)
    table = _shape(model)
    condition = _where_sql(table, conds, "t.")
    order = "t." + _q(table.by_attname[order_by].column)
    sql = _select_sql(model, connection.vendor, related, condition, order, lock, False, one)
    return Query(model, sql, params, related)


def query_where(
    model: type[M],
    condition: str,
    params: Sequence[Any],
    *,
    related: str | None = None,
    order_by: str = "t.id",
    lock: bool = False,
    skip_locked: bool = False,
    one: bool = True,
) -> Query[M]:
    """As ``query``, on a condition in SQL: the model's table is ``t`` (and the related one ``r``), ``%s``
    for each of ``params``, given in the database's form; ``skip_locked`` passes over rows another
    transaction holds, where the database can."""
    sql = _select_sql(model, connection.vendor, related, condition, order_by, lock, skip_locked, one)
    return Query(model, sql, list(params), related)


@cache
def _select_sql(
    model: type[Model],
    vendor: str,
    related: str | None,
    condition: str,
    order_by: str,
    lock: bool,
    skip_locked: bool,
    one: bool,
) -> str:
    table = _table(model, vendor)
    columns = [f"t.{_q(f.column)}" for f in table.fields]
    source = f"{table.name} t"
    if related is not None:
        field = model._meta.get_field(related)
        other = _table(_related_model(model, related), vendor)
        columns += [f"r.{_q(f.column)}" for f in other.fields]
        source += f" JOIN {other.name} r ON r.id = t.{_q(getattr(field, 'column', None))}"
    tail = " LIMIT 1" if one else ""
    if lock and connection.features.has_select_for_update:
        tail += " FOR UPDATE OF t" if related is not None else " FOR UPDATE"
        if skip_locked and connection.features.has_select_for_update_skip_locked:
            tail += " SKIP LOCKED"
    return f"SELECT {', '.join(columns)} FROM {source} WHERE {condition} ORDER BY {order_by}{tail}"


def fetch(*queries: Query[Any]) -> list[list[Any]]:
    """The rows of each query, as model instances; on PostgreSQL the queries travel together, in one round
    trip (a lock taken by one holds for those after it, which run after it)."""
    found = read_together(*(q.statement for q in queries))
    return [q.parse(rows) for q, rows in zip(queries, found, strict=True)]


def get(model: type[M], *, lock: bool = False, **where: Any) -> M | None:
    """The first row matching ``where`` (as for ``query``), or None."""
    (found,) = fetch(query(model, lock=lock, one=True, **where))
    return found[0] if found else None


def get_with(model: type[M], related: str, *, lock: bool = False, **where: Any) -> M | None:
    """As ``get``, with the row that the foreign key ``related`` points to read in the same statement and
    attached to the instance (``case.shop``); ``lock`` locks only the first row."""
    (found,) = fetch(query(model, related=related, lock=lock, one=True, **where))
    return found[0] if found else None


def select(model: type[M], *, order_by: str = "id", **where: Any) -> list[M]:
    """Every row matching ``where`` (as for ``query``), ordered by one field."""
    (found,) = fetch(query(model, order_by=order_by, **where))
    return found


def select_with(model: type[M], related: str, **where: Any) -> list[M]:
    """As ``select`` (ordered by id), each row with the row its foreign key ``related`` points to."""
    (found,) = fetch(query(model, related=related, **where))
    return found


def first(
    model: type[M],
    condition: str,
    params: Sequence[Any],
    *,
    order_by: str = "t.id",
    lock: bool = False,
    skip_locked: bool = False,
) -> M | None:
    """The first row by ``order_by`` meeting ``condition`` (as for ``query_where``)."""
    (found,) = fetch(
        query_where(model, condition, params, order_by=order_by, lock=lock, skip_locked=skip_locked)
    )
    return found[0] if found else None


def read_together(*statements: Statement) -> list[list[tuple[Any, ...]]]:
    """Each statement's rows; on PostgreSQL the statements travel together, in one round trip."""
    if len(statements) == 1:
        ((sql, params),) = statements
        with connection.cursor() as cur:
            cur.execute(sql, list(params))
            return [list(cur.fetchall())]
    with pipeline():
        cursors = []
        for sql, params in statements:
            cur = connection.cursor()
            cur.execute(sql, list(params))
            cursors.append(cur)
        try:
            return [list(cur.fetchall()) for cur in cursors]
        finally:
            for cur in cursors:
                cur.close()


@cache
def _insert_sql(model: type[Model], vendor: str, returning: bool) -> tuple[str, tuple[Field[Any, Any], ...]]:
    table = _table(model, vendor)
    fields = tuple(f for f in table.fields if not f.primary_key)
    columns = ", ".join(_q(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    assert model._meta.pk is not None
    tail = f" RETURNING {_q(model._meta.pk.column)}" if returning else ""
    return f"INSERT INTO {table.name} ({columns}) VALUES ({marks}){tail}", fields


def insert(obj: M, *, returning: bool = True) -> M:
    """Insert ``obj`` and mark it as saved. Its primary key is read back unless ``returning`` is False
    (a row nobody refers to by id in this command, which then costs no wait inside ``pipeline``)."""
    sql, fields = _insert_sql(type(obj), connection.vendor, returning)
    table = _shape(type(obj))
    with connection.cursor() as cur:
        cur.execute(sql, [_prep(table, f.attname, getattr(obj, f.attname)) for f in fields])
        if returning:
            obj.pk = cur.fetchone()[0]
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
    nothing. Use it inside a transaction."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    if connection.connection.pgconn.pipeline_status:  # already inside one: ride it
        yield
        return
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


@cache
def _update_sql(model: type[Model], vendor: str, columns: tuple[str, ...], conds: _Cond) -> str:
    table = _table(model, vendor)
    sets = ", ".join(f"{_q(table.by_attname[c].column)} = %s" for c in columns)
    return f"UPDATE {table.name} SET {sets} WHERE {_where_sql(table, conds)}"


def update(obj: Model, fields: Sequence[str] | None = None) -> None:
    """Write ``fields`` (attnames; every field but the key when None) of ``obj`` to its row."""
    model = type(obj)
    table = _shape(model)
    names = tuple(fields) if fields is not None else _all_but_key(model, connection.vendor)
    sql = _update_sql(model, connection.vendor, names, (("id", None),))
    values = [_prep(table, n, getattr(obj, n)) for n in names]
    with connection.cursor() as cur:
        cur.execute(sql, [*values, obj.pk])


def save(obj: Model) -> None:
    """Insert ``obj`` (without reading its id back) or, when it is stored already, update all its fields."""
    if obj._state.adding:
        insert(obj, returning=False)
    else:
        update(obj)


def update_where(model: type[Model], values: dict[str, Any], **where: Any) -> None:
    """``UPDATE … SET values WHERE where`` (equality, or ``IN`` for a list)."""
    table = _shape(model)
    conds, where_params = _conditions(where)
    sql = _update_sql(model, connection.vendor, tuple(values), conds)
    params = [_prep(table, n, v) for n, v in values.items()]
    with connection.cursor() as cur:
        cur.execute(sql, [*params, *where_params])


@cache
def _all_but_key(model: type[Model], vendor: str) -> tuple[str, ...]:
    return tuple(f.attname for f in _table(model, vendor).fields if not f.primary_key)
