"""Reading rows by built statements: queries by equality, ``IN`` or a condition in SQL, optionally with the rows
a chain of foreign keys points to (``shop``, ``case__shop``), fetched alone or together (one round trip on
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic

from django.db import connection
from django.db.models import Model, QuerySet, sql

from aftersales.core.rows.cursors import rows_of, rows_together
from aftersales.core.rows.tables import (
    M,
    Statement,
    _Cond,
    _conditions,
    _from_row,
    _q,
    _shape,
    _table,
    _values_of,
    _where_sql,
    db,
)
from aftersales.core.rows.writes import pipeline


@dataclass(frozen=True)
class Query(Generic[M]):
    """One ``SELECT`` of a model's rows (with the rows the foreign keys of ``related`` point to, when it is
    set), built once per shape; run it with ``fetch`` alone or together with others."""

    model: type[M]
    sql: str
    params: list[Any]
    related: str | None

    @property
    def statement(self) -> Statement:
        return self.sql, self.params

    def parse(self, found: Sequence[Sequence[Any]]) -> list[M]:
        on = db()
        table = _shape(self.model, on)
        if self.related is None:
            return [_from_row(self.model, table, row, on) for row in found]
        hops = _hops(self.model, self.related)
        width = len(table.fields)
        objs = []
        for row in found:
            obj = _from_row(self.model, table, row[:width], on)
            owner: Model = obj
            start = width
            for name, other_model in hops:
                other = _shape(other_model, on)
                stop = start + len(other.fields)
                joined = _from_row(other_model, other, row[start:stop], on)
                setattr(owner, name, joined)
                owner, start = joined, stop
            objs.append(obj)
        return objs

    def values(self, found: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        """The rows as dicts of the model's field values by attname, converted as ``parse`` converts them,
        without model instances (for what only reads them, a page of views)."""
        assert self.related is None, "values of one table's rows only"
        on = db()
        table = _shape(self.model, on)
        return [_values_of(table, row, on) for row in found]


@cache
def _hops(model: type[Model], related: str) -> tuple[tuple[str, type[Model]], ...]:
    """The foreign keys of ``related`` (``case`` or ``case__shop``) in turn, each with the model it points to."""
    hops = []
    for name in related.split("__"):
        other = _related_model(model, name)
        hops.append((name, other))
        model = other
    return tuple(hops)


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
    sql = _query_sql(model, db().vendor, related, conds, order_by, lock, one)
    return Query(model, sql, params, related)


@cache
def _query_sql(
    model: type[Model], vendor: str, related: str | None, conds: _Cond, order_by: str, lock: bool, one: bool
) -> str:
    """The statement of ``query`` for one shape of condition (which fields, and how many values each ``IN``)."""
    table = _table(model, vendor)
    condition = _where_sql(table, conds, "t.")
    order = "t." + _q(table.by_attname[order_by].column)
    return _select_sql(model, vendor, related, condition, order, lock, False, 1 if one else None)


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
    lock_related: bool = False,
    limit: int | None = None,
) -> Query[M]:
    """As ``query``, on a condition in SQL: the model's table is ``t`` (and the related ones ``r``, ``r2``
    for ``related="case__shop"``), ``%s`` for each of ``params``, given in the database's form;
    ``skip_locked`` passes over rows another transaction holds, where the database can; ``lock_related``
    locks the first related row too (``r``), waiting for it when another transaction holds it; ``limit``
    keeps that many of the first rows (``one``, without it, keeps one)."""
    keep = limit if limit is not None else 1 if one else None
    sql = _select_sql(model, db().vendor, related, condition, order_by, lock, skip_locked, keep, lock_related)
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
    limit: int | None,
    lock_related: bool = False,
) -> str:
    table = _table(model, vendor)
    columns = [f"t.{_q(f.column)}" for f in table.fields]
    source = f"{table.name} t"
    # SQLite takes the tables in the order written after CROSS JOIN: the rows of ``t`` that the condition and
    # the order pick, then each related row by its key. Left to choose, it may start from a table of one
    # row (the shop) and read every case of it to sort them.
    join = "CROSS JOIN" if vendor == "sqlite" else "JOIN"
    owner_model, owner_alias = model, "t"
    for k, (name, other_model) in enumerate(_hops(model, related) if related is not None else ()):
        alias = "r" if k == 0 else f"r{k + 1}"
        field = owner_model._meta.get_field(name)
        other = _table(other_model, vendor)
        columns += [f"{alias}.{_q(f.column)}" for f in other.fields]
        source += (
            f" {join} {other.name} {alias} ON {alias}.id = {owner_alias}.{_q(getattr(field, 'column', None))}"
        )
        owner_model, owner_alias = other_model, alias
    tail = f" LIMIT {int(limit)}" if limit is not None else ""
    if lock and connection.features.has_select_for_update:
        tail += " FOR UPDATE" if related is None else " FOR UPDATE OF t"
        if skip_locked and connection.features.has_select_for_update_skip_locked:
            tail += " SKIP LOCKED"
        if related is not None and lock_related:
            # Waited for, as a later ``get(..., lock=True)`` of it would be: only ``t`` is skipped when held.
            tail += " FOR UPDATE OF r"
    return f"SELECT {', '.join(columns)} FROM {source} WHERE {condition} ORDER BY {order_by}{tail}"


def fetch(*queries: Query[Any]) -> list[list[Any]]:
    """The rows of each query, as model instances; on PostgreSQL the queries travel together, in one round
    trip (a lock taken by one holds for those after it, which run after it)."""
    found = read_together(*(q.statement for q in queries))
    return [q.parse(rows) for q, rows in zip(queries, found, strict=True)]


def fetch_values(*queries: Query[Any]) -> list[list[dict[str, Any]]]:
    """As ``fetch``, each row as a dict of field values by attname (``Query.values``) instead of an
    instance."""
    found = read_together(*(q.statement for q in queries))
    return [q.values(rows) for q, rows in zip(queries, found, strict=True)]


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


def read_together(*statements: Statement) -> list[list[tuple[Any, ...]]]:
    """Each statement's rows; on PostgreSQL the statements travel together, in one round trip."""
    if len(statements) == 1:
        ((sql, params),) = statements
        return [rows_of(sql, params)]
    with pipeline():
        return rows_together(statements)


class _ReadWithOwner(QuerySet[Any]):
    """A relation's rows read with the row they belong to. Iterating, counting or indexing answers from them; a
    queryset derived from it (``filter``, ``order_by``, ``first``) is the relation's own,
    ``Model.objects.filter(<field>=owner)``, read from the database as the manager's would be."""

    owner: Model
    field: str

    def _chain(self) -> Any:
        return self.model._default_manager.filter(**{self.field: self.owner})


@cache
def _done(model: type[Model], relation: str) -> tuple[str, dict[str, Any]]:
    """The foreign key behind the reverse relation ``relation`` of ``model``, and the state of a done queryset
    of its rows (an instance's own parts are set by ``attach``). One unfiltered query per model serves every
    such queryset: it is only read (whatever would change it works on a copy, or on the relation's own
    queryset)."""
    rel = getattr(model, relation).rel
    template = _ReadWithOwner(rel.related_model, query=sql.Query(rel.related_model))
    return rel.field.name, {**template.__dict__, "_prefetch_done": True}


def attach(owner: Model, relation: str, found: list[Any]) -> None:
    """Leave ``found`` where ``prefetch_related(relation)`` leaves a reverse relation's rows (a done queryset in
    ``_prefetched_objects_cache``, as Django's ``prefetch_one_level`` stores it): ``owner.<relation>.all()``
    then reads no more rows. The queryset is made from a kept state rather than by ``QuerySet.__init__``:
    a page of cases makes two per case, and making them cost more than reading their rows."""
    field, template = _done(type(owner), relation)
    done: Any = _ReadWithOwner.__new__(_ReadWithOwner)
    state = done.__dict__
    state.update(template)
    # What a queryset may change in place is its own; the rest of the state is only read.
    state.update(_hints={}, _known_related_objects={}, owner=owner, field=field, _result_cache=found)
    owner.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = done


def attached(owner: Model, relation: str) -> list[Any] | None:
    """The rows of ``relation`` left on ``owner`` by ``attach`` (or ``prefetch_related``); None when none were."""
    done = owner.__dict__.get("_prefetched_objects_cache", {}).get(relation)
    if done is None:
        return None
    found = done._result_cache
    return list(found) if found is not None else list(done)


def related_rows(owner: Model, relation: str) -> list[Any]:
    """The rows of the reverse relation ``relation`` (``case.items``), in id order: those read with ``owner``
    when they were (without making the relation's manager, which costs more than the lookup), else read now
    and attached, so that the next ask reads nothing."""
    found = attached(owner, relation)
    if found is None:
        rel = getattr(type(owner), relation).rel
        found = select(rel.related_model, **{rel.field.attname: owner.pk})
        attach(owner, relation, found)
    return found
