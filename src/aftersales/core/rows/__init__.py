"""Reads and writes of model rows for the hot paths (commands, the queue, the worker), by statements built once.

The ORM compiles every query it runs, and on a command that touches six tables that compilation costs more
than the database does (performance.md, B1). These functions build their SQL once per model, field list and
shape of condition from the model's ``_meta`` (so they follow the migrations), convert values with the
fields' own conversions, and run on Django's connection: inside the caller's transaction, seen by query
counting, with Django's error classes. They return and take ordinary model instances.

- ``query``/``fetch`` (and ``get``, ``select``): rows by equality or ``IN``, or by a condition in SQL
  (``query_where``), optionally with the rows a chain of foreign keys points to; several queries travel
  together in one round trip on PostgreSQL, and so do raw statements given to ``read_together``;
  ``fetch_values`` gives the rows as dicts of field values, for what only reads them.
- ``insert``, ``update`` (of what changed since the row was read), ``update_where``, ``save``; inside
  ``pipeline()`` writes nobody waits for go to PostgreSQL together.
- ``run`` (a written-out statement whose answer nobody reads) and ``rows_of`` (its rows): the statements of
  all these functions run on the driver's cursor, without Django's wrapping each time, except while queries
  are counted or logged (``cursors``).

Aggregates and other joins are written out by the app that owns them (as ``rows.Statement``), or left to the
ORM where a page is not a hot path."""

from aftersales.core.rows.cursors import rows_of, run
from aftersales.core.rows.reads import (
    Query,
    attach,
    attached,
    fetch,
    fetch_values,
    get,
    get_with,
    query,
    query_where,
    read_together,
    related_rows,
    select,
    select_with,
)
from aftersales.core.rows.tables import Statement, marks, stamp
from aftersales.core.rows.writes import insert, insert_all, pipeline, save, update, update_where

__all__ = [
    "Query",
    "Statement",
    "attach",
    "attached",
    "fetch",
    "fetch_values",
    "get",
    "get_with",
    "insert",
    "insert_all",
    "marks",
    "pipeline",
    "query",
    "query_where",
    "read_together",
    "related_rows",
    "rows_of",
    "run",
    "save",
    "select",
    "select_with",
    "stamp",
    "update",
    "update_where",
]
