"""The production server fits the database it runs on: it gives SQLite's planner statistics when it starts
(as PostgreSQL's autovacuum does on its own), and runs threads only where they overlap waits on a database
server."""

from __future__ import annotations

import ast
import gc
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from aftersales.cases import services
from aftersales.core.planner import refresh_planner_statistics
from aftersales.server import gunicorn_options, threads_per_process
from tests.factories import make_order, sh


@pytest.mark.django_db
def test_server_start_gathers_statistics_of_the_case_tables(world: Any, frozen: Any) -> None:
    # given a shop with cases and no statistics yet
    buyer, _ = world.buyer()
    for _ in range(3):
        order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
        case = services.apply(
            services.Application(
                order.order_sn, "refund_only", "damaged", [services.ItemRequest("PHONE-CASE", 1)]
            ),
            actor=buyer,
        )
        services.cancel(case.pk, actor=buyer)
    if connection.vendor != "sqlite":
        # when the server starts on PostgreSQL, then nothing is asked of the database
        refresh_planner_statistics()
        return
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS sqlite_stat1")
    # when the server starts
    refresh_planner_statistics()
    # then the planner knows how selective the case indexes are
    with connection.cursor() as cur:
        cur.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'cases_aftersale'")
        indexes = {row[0] for row in cur.fetchall()}
    assert {"case_buyer_created", "case_queue_state"} <= indexes


@pytest.mark.django_db
def test_one_thread_per_process_on_sqlite_several_on_postgresql() -> None:
    # given the database of this run
    # when the server picks its threads
    threads = threads_per_process()
    # then SQLite's one writer is not queued for by threads of the same process
    assert threads == (1 if connection.vendor == "sqlite" else 4)


def _on_an_sqlite_file(script: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``script`` run by a Python process of its own, after Django is set up on an SQLite file in ``data_dir``,
    as the server's processes run (the tests' own SQLite database lives in memory)."""
    env = {k: v for k, v in os.environ.items() if k != "AFTERSALES_DATABASE_URL"}
    env |= {"AFTERSALES_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "aftersales.config.settings"}
    program = "import django; django.setup();" + script
    return subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )


def test_a_server_on_sqlite_does_not_load_the_postgresql_driver(tmp_path: Path) -> None:
    # given a server process on SQLite, with the whole application loaded (as each web process loads it)
    script = (
        "import sys;"
        "from django.test import Client; import aftersales.config.urls;"
        "from aftersales.core import rows;"
        "print('psycopg' in sys.modules)"
    )
    # when it has started
    done = _on_an_sqlite_file(script, tmp_path)
    # then the PostgreSQL driver (about 10 MB a process) was never imported
    assert done.stdout.strip() == "False"


def test_sqlite_connections_log_ahead_and_read_the_file_through_memory(tmp_path: Path) -> None:
    # given a process on an SQLite file, as the server runs (the tests' own database lives in memory)
    script = (
        "from django.db import connection; cur = connection.cursor();"
        "print([cur.execute(f'PRAGMA {p}').fetchone()[0] for p in ('journal_mode', 'synchronous', 'mmap_size')])"
    )
    # when a connection reports how it reads and writes
    done = _on_an_sqlite_file(script, tmp_path)
    journal, synchronous, mmap_size = ast.literal_eval(done.stdout.strip())
    # then readers run beside the writer (WAL), commits do not wait for the disk (NORMAL), and pages are read
    # from a memory map shared by every connection and process, not copied into each connection's small cache
    assert (journal, synchronous) == ("wal", 1)
    assert mmap_size >= 256 * 2**20


def test_a_process_keeps_its_sqlite_connection_from_one_request_to_the_next(tmp_path: Path) -> None:
    # given a process on an SQLite file, as each web process runs
    script = (
        "from django.db import connection;"
        "from django.core.signals import request_finished, request_started;"
        "seen = [];"
        "[(request_started.send(sender=None), connection.cursor().execute('SELECT 1'),"
        "  seen.append(id(connection.connection)), request_finished.send(sender=None)) for _ in range(2)];"
        "print(seen[0] == seen[1] and connection.connection is not None)"
    )
    # when it serves two requests that read the database
    done = _on_an_sqlite_file(script, tmp_path)
    # then the second uses the connection the first opened, instead of opening the file again
    assert done.stdout.strip() == "True"


def test_the_server_forks_its_web_processes_with_no_connection_open(tmp_path: Path) -> None:
    # given the server's process, which has opened its database to migrate and fill the demo
    script = (
        "from django.db import connection;"
        "connection.ensure_connection(); opened = connection.connection is not None;"
        "from aftersales.server import before_forking; before_forking();"
        "print(opened, connection.connection is None)"
    )
    # when it is about to fork the web processes
    done = _on_an_sqlite_file(script, tmp_path)
    # then no connection is left for them to inherit and share
    assert done.stdout.split() == ["True", "True"]


@pytest.mark.django_db(transaction=True)
def test_the_server_closes_its_postgresql_connection_before_forking() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the tests' SQLite database lives in memory, where Django never closes it")
    # given the server's process with its connection open
    connection.ensure_connection()
    assert connection.connection is not None
    # when it is about to fork the web processes
    from aftersales.server import before_forking

    before_forking()
    # then the connection is closed, not inherited by the web processes
    assert connection.connection is None


def test_what_is_loaded_before_the_web_processes_fork_is_left_out_of_their_collections() -> None:
    # given the options the server starts gunicorn with, and objects made before it is ready
    options = gunicorn_options(host="127.0.0.1", port=8000, workers=2)
    loaded = [[k] for k in range(1000)]  # containers: what the collector tracks
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    # when gunicorn is ready to fork (Django loaded, as ``preload_app`` has it)
    assert options["preload_app"] is True
    try:
        options["when_ready"](None)
        # then those objects are frozen: the collector's passes in the web processes leave them out
        assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.unfreeze()
    # and the web processes are one per core asked for, each with the threads the database allows
    assert options["workers"] == 2 and options["threads"] == threads_per_process()
