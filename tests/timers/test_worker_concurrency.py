"""Several workers on one PostgreSQL database (architecture.md: timers claimed with ``FOR UPDATE SKIP LOCKED``):
racing workers fire each due deadline exactly once, and a worker killed in the middle of a batch loses and
repeats nothing."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection
from django.db.models import Count

from aftersales.accounts.services import ensure_buyer
from aftersales.cases import services as cases
from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.core import clock
from aftersales.core.actors import BUYER, Actor
from aftersales.refunds.models import Refund
from aftersales.timers.models import FIRED, PENDING, Timer
from aftersales.timers.worker import run_due
from tests.conftest import postgres_only
from tests.factories import World, make_order

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

SKU = "PHONE-CASE"
N = 50
APPLIED_AT = datetime(2026, 11, 18, 2, tzinfo=UTC)
DEADLINE = APPLIED_AT + timedelta(hours=48)


def _database_url() -> str:
    """The URL of this test's database, for a child process or a second connection."""
    url = urlsplit(os.environ["AFTERSALES_DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


def _aftersales(*args: str, threads: int | None = None, **popen: Any) -> subprocess.Popen:
    """``aftersales ARGS`` started in its own process, on this test's database (with ``threads`` timer
    threads, when given)."""
    env = dict(os.environ, AFTERSALES_DATABASE_URL=_database_url())
    if threads is not None:
        env["AFTERSALES_WORKER_THREADS"] = str(threads)
    return subprocess.Popen([sys.executable, "-m", "aftersales.cli", *args], env=env, text=True, **popen)


def _applications(world: World, n: int, case_type: str, at: Callable[[int], datetime]) -> list[int]:
    """``n`` applications, the i-th made at ``at(i)``, each by its own buyer (so none looks like abuse)."""
    ids = []
    for i in range(n):
        with clock.frozen(at(i)):
            row = ensure_buyer(f"concurrency-buyer-{i}")
            buyer = Actor(role=BUYER, id=row.external_id, buyer_id=row.pk)
            order = make_order(world, buyer, signed_at=at(i) - timedelta(days=1))
            case = cases.apply(
                cases.Application(order_sn=order.order_sn, type=case_type, reason_code="damaged",
                                  items=[cases.ItemRequest(SKU, 1)]),
                actor=buyer,
            )  # fmt: skip
        ids.append(case.pk)
    return ids


def _system_events_per_case(ids: list[int]) -> dict[int, int]:
    rows = (
        CaseEvent.objects.filter(case_id__in=ids, actor_role="system")
        .values("case_id")
        .annotate(n=Count("id"))
    )
    counts = {row["case_id"]: row["n"] for row in rows}
    return {case_id: counts.get(case_id, 0) for case_id in ids}


def _assert_each_fired_once(ids: list[int]) -> None:
    assert _system_events_per_case(ids) == dict.fromkeys(ids, 1)
    timers = Timer.objects.filter(case_id__in=ids, kind="merchant_overdue")
    assert list(timers.values_list("status", flat=True)) == [FIRED] * len(ids)


def _assert_each_settled_once(ids: list[int]) -> None:
    settles = (
        CaseEvent.objects.filter(case_id__in=ids, action="settle").values("case_id").annotate(n=Count("id"))
    )
    assert sorted((row["case_id"], row["n"]) for row in settles) == [(i, 1) for i in sorted(ids)]
    assert set(AfterSale.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"refunded"}
    refunds = Refund.objects.filter(case_id__in=ids)
    assert sorted(refunds.values_list("case_id", flat=True)) == sorted(ids)
    assert set(refunds.values_list("status", "attempts")) == {("succeeded", 1)}


def test_one_pass_with_four_threads_fires_each_due_timer_once(world):
    # given 50 refund_only applications whose 48 hours are up
    ids = _applications(world, N, "refund_only", lambda i: APPLIED_AT)
    clock.freeze(DEADLINE)
    # when one pass of the worker runs them with four threads side by side
    try:
        report = run_due(threads=4)
    finally:
        clock.unfreeze()
    # then it reports each deadline fired once and each refund paid once, and so do the rows
    assert (report["fired"], report["failed"], report["obsolete"]) == (N, 0, 0)
    assert report["refunds"] == {"succeeded": N, "failed": 0}
    _assert_each_fired_once(ids)
    _assert_each_settled_once(ids)


def test_two_worker_threads_fire_each_due_timer_once(world):
    # given 50 refund_only applications whose 48 hours are up
    ids = _applications(world, N, "refund_only", lambda i: APPLIED_AT)
    clock.freeze(DEADLINE)
    start = threading.Barrier(2)
    reports: list[dict] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            reports.append(run_due())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when two workers pass at the same moment, each on its own connection
    try:
        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        clock.unfreeze()

    # then together they fired each deadline once, and each refund was paid once
    assert errors == []
    assert sum(r["fired"] for r in reports) == N
    assert sum(r["failed"] + r["obsolete"] for r in reports) == 0
    _assert_each_fired_once(ids)
    _assert_each_settled_once(ids)


def test_two_timers_run_commands_fire_each_due_timer_once(world):
    # given 50 return_refund applications whose 48 hours are up
    ids = _applications(world, N, "return_refund", lambda i: APPLIED_AT)

    # when two ``aftersales timers run`` start together
    runs = [
        _aftersales(
            "timers", "run", "--now", DEADLINE.isoformat(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]

    # then both succeed, and between them each deadline fired once
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert sum(r["fired"] for r in reports) == N
    assert sum(r["failed"] + r["obsolete"] for r in reports) == 0
    _assert_each_fired_once(ids)
    assert set(AfterSale.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"awaiting_return"}


def _wait_for(condition: Callable[[], object], what: str, timeout: float = 30) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_mid_batch_loses_and_repeats_nothing(world, tmp_path):
    # given 20 return_refund applications whose 48 hours are up on the real clock, a second apart
    n, stuck_at = 20, 8
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    ids = _applications(world, n, "return_refund", lambda i: first + timedelta(seconds=i))
    # and the 8th case locked by someone else, so the worker stops there, inside its transaction
    url = _database_url()
    locker = psycopg.connect(url)
    monitor = psycopg.connect(url, autocommit=True)
    worker = None
    try:
        locker.execute(
            f"SELECT id FROM {AfterSale._meta.db_table} WHERE id = %s FOR UPDATE", [ids[stuck_at - 1]]
        )

        # when a worker (one thread, so it goes in order) starts and is killed -9 while it waits on the 8th
        log = (tmp_path / "worker.log").open("w")
        worker = _aftersales("worker", "--poll", "0.2", threads=1, stdout=log, stderr=subprocess.STDOUT)
        waiting = """SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"""
        name = connection.settings_dict["NAME"]
        [pid] = _wait_for(
            lambda: monitor.execute(waiting, [name]).fetchone(), "the worker to wait on the lock"
        )
        fired_before_kill = Timer.objects.filter(
            case_id__in=ids, kind="merchant_overdue", status=FIRED
        ).count()
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        log.close()
        locker.rollback()
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s"
        _wait_for(lambda: monitor.execute(gone, [pid]).fetchone()[0], "the killed worker's session to end")
    finally:
        if worker is not None and worker.poll() is None:  # the test failed before the kill: stop it anyway
            worker.kill()
            worker.wait(timeout=10)
        locker.close()
        monitor.close()

    # then it had fired the 7 before, and the 8th is still pending, its half-done work undone
    assert worker.returncode == -signal.SIGKILL
    assert fired_before_kill == stuck_at - 1
    assert Timer.objects.get(case_id=ids[stuck_at - 1], kind="merchant_overdue").status == PENDING
    assert AfterSale.objects.get(pk=ids[stuck_at - 1]).state == "pending_merchant"

    # when the timers run again, with four threads
    again = _aftersales("timers", "run", threads=4, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = again.communicate(timeout=60)

    # then the rest fired, and every case has exactly one system event for its deadline
    assert again.returncode == 0, err
    report = json.loads(out)
    assert (report["fired"], report["obsolete"], report["failed"]) == (n - stuck_at + 1, 0, 0)
    _assert_each_fired_once(ids)
    assert set(AfterSale.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"awaiting_return"}
    assert not Timer.objects.filter(case_id__in=ids, status=PENDING, due_at__lte=datetime.now(UTC)).exists()
    assert Timer.objects.filter(case_id__in=ids, status=PENDING, kind="return_not_shipped").count() == n
