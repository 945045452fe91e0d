"""Statistics for SQLite's query planner. PostgreSQL's autovacuum keeps its own; SQLite gathers them only when
asked, so the server asks when it starts and the worker asks again every hour, as the tables grow."""

from __future__ import annotations

from django.db import connection


def refresh_planner_statistics() -> None:
    """Give SQLite's query planner statistics of the tables as they are now. Without them SQLite guesses, and
    for a shop with a history it guesses wrong: it walks the shop's cases by creation date to count a page's
    buyers' applications instead of using the buyer index. The sample is bounded (``analysis_limit``), so
    this takes milliseconds whatever the size of the database. The connection is closed afterwards, so that
    processes forked later do not inherit it."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute("ANALYZE")
    connection.close()
