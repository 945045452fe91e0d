"""SQLite's writers queued by the kernel (``aftersales.core.sqlite_writers``) against Django's SQLite backend
alone, whose waiting writers sleep in SQLite's busy handler: two processes each run write transactions of
five inserts and a little work inside (as a command's transaction), with more work between them (as the rest
of a request), on one database file, the two backends taking turns. Not part of ``all``: it measures a
mechanism of ours, not a target of performance.md."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as DjangoSQLite

from aftersales.core.sqlite_writers.base import DatabaseWrapper as QueuedSQLite
from bench.common import emit

PROCESSES = 2
INSIDE_MS, BETWEEN_MS = 0.8, 1.5
TURNS = 3


def _busy(ms: float) -> None:
    """Work on the CPU for ``ms`` milliseconds of this process's time."""
    end = time.process_time() + ms / 1000
    while time.process_time() < end:
        pass


def _writer(backend: type[Any], settings: dict[str, Any], n: int) -> None:
    db = backend(settings, alias="writers-bench")
    db.ensure_connection()
    for i in range(n):
        _busy(BETWEEN_MS)
        db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        with db.cursor() as cur:
            for _ in range(5):
                cur.execute("INSERT INTO bench_writers (v) VALUES (%s)", [i])
        _busy(INSIDE_MS)
        db.commit()
        db.set_autocommit(True)
    db.close()


def _commits_per_s(backend: type[Any], settings: dict[str, Any], n: int) -> float:
    spawn = multiprocessing.get_context("fork")
    workers = [spawn.Process(target=_writer, args=(backend, settings, n)) for _ in range(PROCESSES)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
        assert w.exitcode == 0, w.exitcode
    return PROCESSES * n / (time.perf_counter() - start)


def run(*, quick: bool) -> None:
    assert connection.vendor == "sqlite", "SQLite only"
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_writers (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
    settings = dict(connection.settings_dict)
    connection.close()  # the children open their own
    n = 300 if quick else 2_000
    ours = ceiling = 0.0
    for _ in range(TURNS):
        ceiling += _commits_per_s(DjangoSQLite, settings, n) / TURNS
        ours += _commits_per_s(QueuedSQLite, settings, n) / TURNS
    emit("writers_sqlite", PROCESSES * n, ours, ceiling,
         "commits/s with the writers' lock, against Django's SQLite backend alone (above 1: the lock helps)")  # fmt: skip
