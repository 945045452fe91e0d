"""The production server fits the database it runs on: it gives SQLite's planner statistics when it starts
(as PostgreSQL's autovacuum does on its own), and runs threads only where they overlap waits on a database
server."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from aftersales.cases import services
from aftersales.core.planner import refresh_planner_statistics
from aftersales.server import threads_per_process
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
