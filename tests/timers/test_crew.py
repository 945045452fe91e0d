"""The worker's crew of threads (``timers.crew``): from one pass to the next each thread keeps its own
connection, a connection the database dropped meanwhile is replaced before the pass uses it, an error in one
job reaches the pass once every job ended, and closing the crew closes its connections."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from aftersales.cases.models import AfterSale
from aftersales.timers import worker
from aftersales.timers.crew import Crew
from tests.conftest import postgres_only
from tests.timers.test_worker import APPLIED_AT, MERCHANT_DEADLINE, _application

pytestmark = pytest.mark.django_db(transaction=True)


def _whereabouts(seen: list[tuple[Any, ...]]) -> Callable[[Counter[str]], None]:
    """A job that notes its thread, its driver connection and, on PostgreSQL, its server process."""

    def job(counted: Counter[str]) -> None:
        connection.ensure_connection()
        server = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                server = cur.fetchone()[0]
        seen.append((threading.get_ident(), id(connection.connection), server))
        counted["ran"] += 1

    return job


def test_each_pass_runs_on_the_same_threads_and_connections():
    # given a crew of two threads
    first: list[tuple[Any, ...]] = []
    second: list[tuple[Any, ...]] = []
    with Crew(2) as crew:
        # when two passes each give every thread a job
        counted = crew.side_by_side([_whereabouts(first)] * 2)
        crew.side_by_side([_whereabouts(second)] * 2)
    # then both ran on two threads other than this one, each with its own connection, the same in both passes
    assert counted == Counter(ran=2)
    assert len({seen[0] for seen in first}) == 2
    assert threading.get_ident() not in {seen[0] for seen in first}
    assert len({seen[1] for seen in first}) == 2
    assert sorted(first) == sorted(second)


def test_a_crew_of_one_runs_in_the_callers_thread():
    # given a crew of one
    seen: list[tuple[Any, ...]] = []
    with Crew(1) as crew:
        # when a pass runs
        crew.side_by_side([_whereabouts(seen)])
    # then the job ran here
    assert [s[0] for s in seen] == [threading.get_ident()]


def test_more_jobs_than_threads_are_refused():
    with Crew(2) as crew, pytest.raises(ValueError, match="3 jobs for a crew of 2"):
        crew.side_by_side([lambda counted: None] * 3)


def test_an_error_in_one_job_is_raised_once_the_others_ended_and_the_crew_goes_on():
    # given a crew of two, and a pass whose first job fails at once while the second takes a while
    ended: list[str] = []

    def fails(counted: Counter[str]) -> None:
        raise RuntimeError("handler broke")

    def slow(counted: Counter[str]) -> None:
        time.sleep(0.2)
        ended.append("slow")

    with Crew(2) as crew:
        # when the pass runs
        with pytest.raises(RuntimeError, match="handler broke"):
            crew.side_by_side([fails, slow])
        # then the error came once the slow job had ended, and the next pass runs on both threads
        assert ended == ["slow"]
        seen: list[tuple[Any, ...]] = []
        assert crew.side_by_side([_whereabouts(seen)] * 2) == Counter(ran=2)


@postgres_only
def test_a_pass_after_the_database_dropped_the_connections_replaces_them(world, frozen):
    # given a crew whose two threads hold connections from a first pass
    seen: list[tuple[Any, ...]] = []
    with Crew(2) as crew:
        crew.side_by_side([_whereabouts(seen)] * 2)
        servers = [s[2] for s in seen]
        # and the database then ends their server processes (a restart, an administrator)
        with connection.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [servers])
        _wait_until_gone(servers)
        # when deadlines are due and the worker's next pass runs on the crew
        frozen.at(APPLIED_AT)
        cases = [_application(world) for _ in range(4)]
        frozen.at(MERCHANT_DEADLINE)
        report = worker.run_due(crew=crew)
    # then the pass fired them all, on new connections
    assert (report["fired"], report["failed"]) == (4, 0)
    assert {c.state for c in AfterSale.objects.filter(pk__in=[c.pk for c in cases])} == {"refunded"}


@postgres_only
def test_closing_the_crew_closes_its_connections():
    # given a crew whose threads hold connections
    seen: list[tuple[Any, ...]] = []
    crew = Crew(2)
    crew.side_by_side([_whereabouts(seen)] * 2)
    servers = [s[2] for s in seen]
    assert _alive(servers) == set(servers)
    # when it is closed
    crew.close()
    # then their server processes end
    _wait_until_gone(servers)


def _alive(servers: list[int]) -> set[int]:
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [servers])
        return {row[0] for row in cur.fetchall()}


def _wait_until_gone(servers: list[int]) -> None:
    deadline = time.monotonic() + 10
    while _alive(servers):
        assert time.monotonic() < deadline, f"server processes {_alive(servers)} still there"
        time.sleep(0.05)


def test_the_worker_loop_runs_every_pass_on_one_crew_and_closes_it(monkeypatch):
    # given the worker loop with two threads, stopped after its second pass
    stop, crews, one_pass = threading.Event(), [], worker.run_due

    def noted_pass(now=None, **kwargs):
        crews.append(kwargs["crew"])
        if len(crews) == 2:
            stop.set()
        return one_pass(now, **kwargs)

    monkeypatch.setattr(worker, "run_due", noted_pass)
    # when it runs
    worker.run_forever(0, stop, threads=2)
    # then both passes ran on the same crew of two, closed when the loop ended
    assert crews[0] is crews[1]
    assert crews[0].size == 2
    assert crews[0]._threads == []
