"""The timer worker at its edges (domain.md section 6, architecture.md "A deadline passes"): exactly at the
deadline, cases that moved on, repeated passes, failing handlers, alerts, the ``timers run`` command and the
shop's own calendar."""

import json
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import OperationalError, connection

from aftersales import cli
from aftersales.accounts.models import Shop
from aftersales.accounts.services import update_shop_calendar
from aftersales.cases import services as cases
from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.core.actors import Actor
from aftersales.refunds.models import Refund
from aftersales.timers import worker
from aftersales.timers.models import FAILED, FIRED, OBSOLETE, PENDING, Timer
from aftersales.timers.worker import MAX_ATTEMPTS, run_due
from tests.acceptance.support import problem, when
from tests.factories import World, make_order, make_world, sh

SKU = "PHONE-CASE"
APPLIED_AT = sh(2026, 11, 18, 10)  # a Wednesday
MERCHANT_DEADLINE = sh(2026, 11, 20, 10)


def _application(world: World, case_type: str = "refund_only") -> AfterSale:
    """A buyer's application made now (the frozen clock) through the case services."""
    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    reason = "missing_item" if case_type == "reship" else "damaged"
    return cases.apply(
        cases.Application(order_sn=order.order_sn, type=case_type, reason_code=reason,
                          items=[cases.ItemRequest(SKU, 1)]),
        actor=buyer,
    )  # fmt: skip


def _system_events(case_id: int) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case_id=case_id, actor_role="system"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data directory whose SQLite file is migrated once, for the command-line tests."""
    path = tmp_path_factory.mktemp("aftersales-data")
    assert _cli("migrate", data_dir=path).returncode == 0
    return path


def _cli(*args: str, data_dir) -> subprocess.CompletedProcess:
    """``aftersales ARGS`` in its own process, on an SQLite file of its own."""
    env = {k: v for k, v in os.environ.items() if k != "AFTERSALES_DATABASE_URL"}
    env["AFTERSALES_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "aftersales.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


# --- when a timer fires


def test_timer_fires_at_its_deadline_not_one_second_before(world, frozen):
    # given a refund_only application nobody answers
    frozen.at(APPLIED_AT)
    case = _application(world)
    assert case.deadline_at == MERCHANT_DEADLINE

    # when the worker passes one second before the deadline
    frozen.at(MERCHANT_DEADLINE - timedelta(seconds=1))
    early = run_due()

    # then nothing fires
    assert early["fired"] == 0
    assert AfterSale.objects.get(pk=case.pk).state == "pending_merchant"
    assert Timer.objects.get(case=case, kind="merchant_overdue").status == PENDING

    # when the worker passes at the deadline
    frozen.at(MERCHANT_DEADLINE)
    on_time = run_due()

    # then the deadline fires, once, as the system
    assert on_time["fired"] == 1
    timer = Timer.objects.get(case=case, kind="merchant_overdue")
    assert (timer.status, timer.fired_at) == (FIRED, MERCHANT_DEADLINE)
    assert [(e.action, e.actor_id) for e in _system_events(case.pk)] == [("expire", "system")]


def test_run_due_at_given_time_fires_what_is_due_then_whatever_the_clock_says(world, frozen):
    # given a refund_only application nobody answers, and a clock still on the day it was made
    frozen.at(APPLIED_AT)
    case = _application(world)

    # when a pass is run for the moment of the deadline
    report = run_due(MERCHANT_DEADLINE)

    # then the deadline fires at that moment, not lost as obsolete
    assert (report["fired"], report["obsolete"]) == (1, 0)
    assert Timer.objects.get(case=case, kind="merchant_overdue").status == FIRED
    [event] = _system_events(case.pk)
    assert (event.action, event.at) == ("expire", MERCHANT_DEADLINE)


def test_timer_of_case_that_left_its_state_is_obsolete_and_does_nothing(world, frozen):
    # given an application the merchant rejected before its deadline
    frozen.at(APPLIED_AT)
    case = _application(world)
    frozen.at(sh(2026, 11, 19, 9))
    cases.reject(case.pk, actor=world.merchant, reason="外观无损")
    old = Timer.objects.get(case=case, kind="merchant_overdue")
    assert old.status == OBSOLETE
    assert Timer.objects.get(case=case, status=PENDING).kind == "buyer_overdue"

    # when the worker passes at the old deadline
    frozen.at(MERCHANT_DEADLINE)
    report = run_due()

    # then nothing fires and the case is as it was
    assert report["fired"] == report["obsolete"] == 0
    rejected = AfterSale.objects.get(pk=case.pk)
    assert rejected.state == "rejected"

    # given the old timer row is still pending (the case left its state behind its back)
    Timer.objects.filter(pk=old.pk).update(status=PENDING, fired_at=None)

    # when the worker passes
    report = run_due()

    # then that timer is marked obsolete, and the case, its version and its timeline are untouched
    assert report["obsolete"] == 1
    assert report["by_kind"]["obsolete"] == {"merchant_overdue": 1}
    assert Timer.objects.get(pk=old.pk).status == OBSOLETE
    after = AfterSale.objects.get(pk=case.pk)
    assert after.state == "rejected"
    assert (after.version, after.deadline_at) == (rejected.version, rejected.deadline_at)
    assert _system_events(case.pk) == []


def test_run_due_twice_fires_each_timer_once(world, frozen):
    # given three applications nobody answers
    frozen.at(APPLIED_AT)
    ids = [_application(world, case_type).pk for case_type in ("refund_only", "return_refund", "reship")]

    # when the worker passes twice at the deadline, and once more later
    frozen.at(MERCHANT_DEADLINE)
    first, second = run_due(), run_due()
    frozen.advance(hours=1)
    third = run_due()

    # then the first pass fired them all and the later ones nothing
    assert first["fired"] == 3
    assert second["fired"] == third["fired"] == 0
    for case_id in ids:
        assert len(_system_events(case_id)) == 1
        assert Timer.objects.get(case_id=case_id, kind="merchant_overdue").status == FIRED
    states = dict(AfterSale.objects.filter(pk__in=ids).values_list("type", "state"))
    assert states["refund_only"] == "refunded"
    assert states["return_refund"] == "awaiting_return"
    assert states["reship"] == "platform_review"


@pytest.mark.django_db(transaction=True)
def test_worker_loop_survives_a_failed_pass_and_fires_on_the_next(world, frozen, monkeypatch):
    # given a due deadline, and a first pass that fails as a whole (the database went away)
    frozen.at(APPLIED_AT)
    case = _application(world)
    frozen.at(MERCHANT_DEADLINE)
    stop, passes, one_pass = threading.Event(), [], worker.run_due

    def flaky_pass(now=None, **kwargs):
        passes.append(now)
        if len(passes) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        report = one_pass(now, **kwargs)
        stop.set()
        return report

    monkeypatch.setattr(worker, "run_due", flaky_pass)

    # when the worker loop runs until stopped
    worker.run_forever(0, stop)

    # then it went on after the failed pass, and the next one fired the deadline
    assert len(passes) == 2
    assert AfterSale.objects.get(pk=case.pk).state == "refunded"
    assert len(_system_events(case.pk)) == 1


@pytest.mark.django_db(transaction=True)
def test_worker_loop_keeps_sqlites_planner_statistics_as_the_tables_grow(world, frozen, monkeypatch):
    # given a shop with cases, and a database whose planner has no statistics (as after a day of growth
    # since the server started, when they no longer fit)
    frozen.at(APPLIED_AT)
    for _ in range(3):
        _application(world)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS sqlite_stat1" if connection.vendor == "sqlite" else "SELECT 1")
    stop, one_pass = threading.Event(), worker.run_due

    def single_pass(now=None, **kwargs):
        report = one_pass(now, **kwargs)
        stop.set()
        return report

    monkeypatch.setattr(worker, "run_due", single_pass)

    # when the worker loop runs its first pass
    worker.run_forever(0, stop)

    # then on SQLite the planner knows again how selective the case indexes are (PostgreSQL's autovacuum
    # keeps its own statistics, and the loop asks nothing of it)
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'cases_aftersale'")
            indexes = {row[0] for row in cur.fetchall()}
        assert {"case_buyer_created", "case_queue_state"} <= indexes


# --- a failing handler


def _boom(case_id: int, *, state: str, at=None, timer=None, case=None) -> str:
    raise RuntimeError(f"handler broke on case {case_id}")


def test_failing_handler_backs_off_and_gives_up_after_max_attempts(world, frozen, monkeypatch):
    # given a due deadline whose handler raises
    frozen.at(APPLIED_AT)
    case = _application(world)
    monkeypatch.setattr(worker, "expire", _boom)

    # when the worker passes at the deadline
    frozen.at(MERCHANT_DEADLINE)
    report = run_due()

    # then the timer backs off a minute, with the error, and the case has not moved
    assert report["failed"] == 1
    assert report["by_kind"]["failed"] == {"merchant_overdue": 1}
    timer = Timer.objects.get(case=case, kind="merchant_overdue")
    assert (timer.status, timer.attempts) == (PENDING, 1)
    assert timer.next_attempt_at == MERCHANT_DEADLINE + timedelta(minutes=1)
    assert "RuntimeError" in timer.last_error
    assert f"case {case.pk}" in timer.last_error
    assert AfterSale.objects.get(pk=case.pk).state == "pending_merchant"
    # and another pass before the back-off is over does not try again
    assert run_due()["failed"] == 0
    assert Timer.objects.get(pk=timer.pk).attempts == 1

    # when the worker passes each time the back-off is over
    gaps = []
    while timer.status == PENDING:
        gaps.append(timer.next_attempt_at - frozen.now())
        frozen.at(timer.next_attempt_at)
        run_due()
        timer = Timer.objects.get(pk=timer.pk)

    # then the back-off doubled each time, and after MAX_ATTEMPTS the timer is failed for good
    assert gaps == [timedelta(minutes=2**i) for i in range(MAX_ATTEMPTS - 1)]
    assert (timer.status, timer.attempts) == (FAILED, MAX_ATTEMPTS)
    frozen.advance(days=1)
    assert run_due()["failed"] == 0
    assert Timer.objects.get(pk=timer.pk).attempts == MAX_ATTEMPTS
    assert _system_events(case.pk) == []


def test_a_failing_timer_among_others_is_rolled_back_alone(world, frozen, monkeypatch):
    # given twelve applications nobody answers (more than one batch of timers on SQLite), and a handler that
    # breaks on the 3rd and the 11th
    frozen.at(APPLIED_AT)
    ids = [_application(world, "return_refund").pk for _ in range(12)]
    broken = {ids[2], ids[10]}
    real_expire = worker.expire

    def expire_or_break(case_id: int, **kwargs):
        if case_id in broken:
            raise RuntimeError(f"handler broke on case {case_id}")
        return real_expire(case_id, **kwargs)

    monkeypatch.setattr(worker, "expire", expire_or_break)

    # when the worker passes at the deadline
    frozen.at(MERCHANT_DEADLINE)
    report = run_due()

    # then the ten others fired, each once, and the two broken ones back off with nothing of theirs written
    assert (report["fired"], report["failed"]) == (10, 2)
    for case_id in ids:
        case = AfterSale.objects.get(pk=case_id)
        timer = Timer.objects.get(case_id=case_id, kind="merchant_overdue")
        if case_id in broken:
            assert (case.state, timer.status, timer.attempts) == ("pending_merchant", PENDING, 1)
            assert f"case {case_id}" in timer.last_error
            assert _system_events(case_id) == []
        else:
            assert (case.state, timer.status, timer.attempts) == ("awaiting_return", FIRED, 0)
            assert len(_system_events(case_id)) == 1


def test_a_refund_that_fails_to_record_is_left_for_the_next_pass_alone(world, frozen, monkeypatch):
    # given twelve refund-only applications nobody answers, and the payment side's report on the 5th that
    # cannot be recorded this time
    frozen.at(APPLIED_AT)
    ids = [_application(world).pk for _ in range(12)]
    real_record = worker.record_refund_outcome

    def record_or_break(refund_id: int, **kwargs):
        if Refund.objects.get(pk=refund_id).case_id == ids[4]:
            raise RuntimeError("the ledger is busy")
        return real_record(refund_id, **kwargs)

    monkeypatch.setattr(worker, "record_refund_outcome", record_or_break)

    # when the worker passes at the deadline (agreeing to each, then recording what the gateway paid)
    frozen.at(MERCHANT_DEADLINE)
    report = run_due()

    # then the eleven others are refunded, and the 5th still waits on payment with its refund pending
    assert (report["fired"], report["refunds"]["succeeded"]) == (12, 11)
    states = dict(AfterSale.objects.filter(pk__in=ids).values_list("pk", "state"))
    assert states == {pk: "refunding" if pk == ids[4] else "refunded" for pk in ids}
    assert Refund.objects.get(case_id=ids[4]).status == "pending"

    # when the next pass finds the ledger free
    monkeypatch.setattr(worker, "record_refund_outcome", real_record)
    assert run_due()["refunds"]["succeeded"] == 1

    # then the 5th is refunded too
    assert AfterSale.objects.get(pk=ids[4]).state == "refunded"


def test_a_pass_with_a_limit_fires_that_many_and_the_next_the_rest(world, frozen):
    # given thirteen applications nobody answers
    frozen.at(APPLIED_AT)
    ids = [_application(world, "return_refund").pk for _ in range(13)]

    # when the worker passes at the deadline with a limit of twelve (more than a batch), then without
    frozen.at(MERCHANT_DEADLINE)
    first = run_due(limit=12)
    fired_first = Timer.objects.filter(case_id__in=ids, kind="merchant_overdue", status=FIRED).count()
    left_first = list(
        Timer.objects.filter(case_id__in=ids, kind="merchant_overdue", status=PENDING).values_list(
            "case_id", flat=True
        )
    )
    second = run_due()

    # then the first fired twelve, the earliest due first (all due at once: the first made), and the second
    # the last one
    assert (first["fired"], fired_first, second["fired"]) == (12, 12, 1)
    assert left_first == [ids[-1]]
    assert set(AfterSale.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"awaiting_return"}


@pytest.mark.django_db(transaction=True)
def test_a_pass_commits_a_batch_of_timers_at_once_on_sqlite_and_each_on_postgresql(
    world, frozen, monkeypatch
):
    # given twelve applications nobody answers
    frozen.at(APPLIED_AT)
    ids = [_application(world, "return_refund").pk for _ in range(12)]
    commits = []
    real_commit = connection.commit
    monkeypatch.setattr(connection, "commit", lambda: (commits.append(1), real_commit())[1])

    # when the worker passes at the deadline
    frozen.at(MERCHANT_DEADLINE)
    assert run_due()["fired"] == 12

    # then SQLite wrote them in two commits (ten, then two, with the claim that found no more), PostgreSQL in
    # one each and one for the claim that found no more
    assert worker.batch_size() == (10 if connection.vendor == "sqlite" else 1)
    assert len(commits) == (2 if connection.vendor == "sqlite" else 13)
    assert AfterSale.objects.filter(pk__in=ids, state="awaiting_return").count() == 12


def test_failed_timers_are_listed_for_own_shop_and_for_platform(api, world, frozen, monkeypatch):
    # given a failing deadline in each of two shops
    other = make_world()
    frozen.at(APPLIED_AT)
    mine, theirs = _application(world), _application(other)
    monkeypatch.setattr(worker, "expire", _boom)
    frozen.at(MERCHANT_DEADLINE)
    quiet = _application(world, "return_refund")  # due two days later
    for _ in range(MAX_ATTEMPTS):
        run_due()
        frozen.advance(hours=1)

    # when each merchant and the platform ask for the failed timers
    own = api(world.merchant_token).ok(api(world.merchant_token).get("/timers", status="failed"))
    others = api(other.merchant_token).ok(api(other.merchant_token).get("/timers", status="failed"))
    platform = api(world.platform_token).ok(api(world.platform_token).get("/timers", status="failed"))

    # then a merchant sees their own shop's only, and the platform both
    assert [(t["case_id"], t["kind"], t["status"]) for t in own["items"]] == [
        (mine.pk, "merchant_overdue", "failed")
    ]
    assert own["items"][0]["attempts"] == MAX_ATTEMPTS
    assert "RuntimeError" in own["items"][0]["last_error"]
    assert when(own["items"][0]["due_at"]) == MERCHANT_DEADLINE
    assert [t["case_id"] for t in others["items"]] == [theirs.pk]
    assert sorted(t["case_id"] for t in platform["items"]) == sorted([mine.pk, theirs.pk])
    # and the pending one is not among them
    pending = api(world.merchant_token).ok(api(world.merchant_token).get("/timers", status="pending"))
    assert [t["case_id"] for t in pending["items"]] == [quiet.pk]
    # and a buyer may not look
    _, buyer_token = world.buyer()
    problem(api(buyer_token).get("/timers", status="failed"), 403, "forbidden")


# --- the summary of ``timers run``


def test_timers_run_prints_summary_by_kind(world, frozen, monkeypatch, capsys):
    # given, at 11-21 10:00: one unanswered application (merchant_overdue), one rejection the buyer let lapse
    # (buyer_overdue), one stale timer of a case that moved on, and one whose handler breaks
    frozen.at(APPLIED_AT)
    unanswered, lapsed = _application(world), _application(world)
    answered, broken = _application(world), _application(world, "return_refund")
    cases.reject(lapsed.pk, actor=world.merchant, reason="外观无损")
    frozen.at(sh(2026, 11, 18, 11))
    cases.reject(answered.pk, actor=world.merchant, reason="请补充照片")
    Timer.objects.filter(case=answered, kind="merchant_overdue").update(status=PENDING, fired_at=None)
    real_expire = worker.expire
    monkeypatch.setattr(
        worker, "expire", lambda case_id, *, state, at, timer, case: _boom(case_id, state=state)
        if case_id == broken.pk else real_expire(case_id, state=state, at=at, timer=timer, case=case),
    )  # fmt: skip

    # when ``aftersales timers run --now`` runs
    monkeypatch.setattr(cli, "_is_sqlite", lambda: False)  # the test database is ready already
    cli.main(["timers", "run", "--now", "2026-11-21T10:00:00+08:00"])

    # then it prints one JSON summary, counted by outcome and kind
    report = json.loads(capsys.readouterr().out)
    assert when(report["now"]) == sh(2026, 11, 21, 10)
    assert (report["fired"], report["obsolete"], report["failed"]) == (2, 1, 1)
    assert report["by_kind"] == {
        "fired": {"merchant_overdue": 1, "buyer_overdue": 1},
        "obsolete": {"merchant_overdue": 1},
        "failed": {"merchant_overdue": 1},
    }
    assert report["refunds"] == {"succeeded": 1, "failed": 0}
    assert AfterSale.objects.get(pk=unanswered.pk).state == "refunded"
    assert AfterSale.objects.get(pk=broken.pk).state == "pending_merchant"


# --- alerts


def test_refund_breach_alert_leaves_event_and_keeps_state(world, frozen, settings):
    # given a refund agreed on Wednesday 11-18 that the payment provider never settles
    settings.PAYMENT_GATEWAY = "provider-without-polling"
    frozen.at(APPLIED_AT)
    case = _application(world)
    cases.agree(case.pk, actor=world.merchant)
    refunding = AfterSale.objects.get(pk=case.pk)
    assert refunding.state == "refunding"
    assert refunding.deadline_at == sh(2026, 11, 24, 0)  # Thu 19, Fri 20, Mon 23

    # when the worker passes at the due-by, and again a day later
    frozen.at(sh(2026, 11, 24, 0))
    report = run_due()
    frozen.advance(days=1)
    again = run_due()

    # then one deadline_breached event by the system, and the case still waits on the payment side
    assert report["by_kind"]["fired"] == {"refund_breach": 1}
    assert again["fired"] == 0
    after = AfterSale.objects.get(pk=case.pk)
    assert (after.state, after.waiting_on) == ("refunding", "payment")
    assert after.deadline_at == refunding.deadline_at
    [alert] = _system_events(case.pk)
    assert (alert.action, alert.from_state, alert.to_state) == ("deadline_breached", "refunding", "refunding")
    assert alert.data["state"] == "refunding"
    assert Timer.objects.get(case=case, kind="refund_breach").status == FIRED


def test_platform_review_breach_alert_leaves_event_and_keeps_state(world, frozen):
    # given a rejection the buyer escalated on Wednesday 11-18, that the platform does not decide
    frozen.at(APPLIED_AT)
    case = _application(world)
    cases.reject(case.pk, actor=world.merchant, reason="外观无损")
    buyer = Actor(role="buyer", id=case.buyer.external_id, buyer_id=case.buyer_id)
    cases.escalate(case.pk, actor=buyer, reason="照片里能看到裂纹")
    review = AfterSale.objects.get(pk=case.pk)
    assert review.deadline_at == sh(2026, 11, 24, 0)

    # when the worker passes after 3 business days
    frozen.at(sh(2026, 11, 24, 0, 0, 1))
    report = run_due()

    # then platform staff have an alert on the timeline, and the case still waits on them
    assert report["by_kind"]["fired"] == {"platform_review_breach": 1}
    after = AfterSale.objects.get(pk=case.pk)
    assert (after.state, after.waiting_on) == ("platform_review", "platform")
    [alert] = _system_events(case.pk)
    assert (alert.action, alert.to_state) == ("deadline_breached", "platform_review")
    assert when(alert.data["deadline_at"]) == review.deadline_at


# --- bad input on the command line and the API


@pytest.mark.parametrize("now", ["not-a-time", "2026-11-20T10:00:00"])
def test_timers_run_with_bad_now_exits_2_with_one_line(now, data_dir):
    # given a time that is not ISO 8601, or has no offset
    # when ``aftersales timers run --now`` gets it
    done = _cli("timers", "run", "--now", now, data_dir=data_dir)

    # then it exits 2 with one line on stderr naming the value, and prints no summary
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert now in lines[0]


def test_shop_calendar_command_with_malformed_date_exits_2_and_changes_nothing(data_dir):
    # given a shop with no days of its own
    assert _cli("shop", "create", "S-CAL", data_dir=data_dir).returncode == 0

    # when one of the holidays it is given is written 2026/12/01
    done = _cli(
        "shop", "calendar", "S-CAL", "--holiday", "2026-12-02", "--holiday", "2026/12/01", data_dir=data_dir
    )

    # then it exits 2 with one line naming the code and the value
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "validation_error" in lines[0]
    assert "2026/12/01" in lines[0]
    # and the shop's calendar is as before, without the well-formed day either
    shown = _cli("shop", "calendar", "S-CAL", data_dir=data_dir)
    assert json.loads(shown.stdout) == {"shop": "S-CAL", "extra_holidays": [], "extra_working_days": []}


def test_shop_patch_with_malformed_date_is_422_and_changes_nothing(api, world):
    # given a shop with one holiday of its own
    m = api(world.merchant_token)
    m.ok(m.patch("/shop", {"extra_holidays": ["2026-12-02"]}))

    # when the merchant sends a list with one malformed date
    refused = m.patch(
        "/shop", {"extra_holidays": ["2026-12-03", "2026/12/01"], "extra_working_days": ["2026-12-05"]}
    )

    # then it is refused, and neither list changed
    body = problem(refused, 422, "validation_error")
    assert "2026/12/01" in json.dumps(body, ensure_ascii=False)
    shop = m.ok(m.get("/shop"))
    assert (shop["extra_holidays"], shop["extra_working_days"]) == (["2026-12-02"], [])
    row = Shop.objects.get(pk=world.shop.pk)
    assert (row.extra_holidays, row.extra_working_days) == (["2026-12-02"], [])


# --- the shop's own calendar


@pytest.mark.parametrize(
    ("holidays", "working_days", "due_by"),
    [
        (None, None, sh(2026, 11, 24, 0)),  # Thu 19, Fri 20, Mon 23
        (["2026-11-19"], None, sh(2026, 11, 25, 0)),  # Fri 20, Mon 23, Tue 24
        (None, ["2026-11-21"], sh(2026, 11, 22, 0)),  # Thu 19, Fri 20, Sat 21
    ],
    ids=["national-calendar", "shop-holiday", "shop-working-saturday"],
)
def test_refund_due_by_follows_shop_calendar(world, frozen, holidays, working_days, due_by):
    # given a shop's own holiday or make-up working day
    update_shop_calendar(Shop.objects.get(pk=world.shop.pk), holidays=holidays, working_days=working_days)
    buyer, _ = world.buyer()
    order = make_order(world, buyer, shipped=False)

    # when a refund starts on Wednesday 11-18 (an order not shipped yet refunds at once)
    frozen.at(APPLIED_AT)
    case = cases.apply(
        cases.Application(order_sn=order.order_sn, type="refund_only", reason_code="no_longer_needed",
                          items=[cases.ItemRequest(SKU, 1)]),
        actor=buyer,
    )  # fmt: skip

    # then it is due by the end of the 3rd business day of the shop's calendar
    assert case.state == "refunding"
    assert Refund.objects.get(case=case).due_by == due_by
    assert case.deadline_at == due_by


@pytest.mark.django_db
def test_the_claim_reads_the_due_timer_with_its_case_and_shop_in_one_statement(world, frozen):
    # given an application whose merchant deadline has passed
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from aftersales.core import rows

    case = _application(world)
    frozen.at(MERCHANT_DEADLINE + timedelta(minutes=1))
    # when the worker claims it
    with transaction.atomic(), CaptureQueriesContext(connection) as seen:
        (found,) = rows.fetch(worker.claim_query(frozen.now()))
        timer = found[0]
        zone, state = timer.case.shop.time_zone, timer.case.state
    # then the timer, its case and the case's shop came in one statement, the case as it is stored
    assert len([q for q in seen.captured_queries if q["sql"].startswith("SELECT")]) == 1
    assert (timer.case_id, timer.kind, timer.status) == (case.pk, "merchant_overdue", PENDING)
    assert (state, zone) == ("pending_merchant", world.shop.time_zone)


@pytest.mark.django_db
def test_a_fire_closes_its_timer_as_fired_and_the_cases_other_pending_ones_as_obsolete_in_one_statement(
    world, frozen
):
    # given an application whose merchant deadline has passed, and a second pending timer on the case
    from django.test.utils import CaptureQueriesContext

    case = _application(world)
    (due,) = Timer.objects.filter(case=case, status=PENDING)
    stray = Timer.objects.create(shop=world.shop, case=case, kind="merchant_overdue", state="pending_merchant",
                                 case_version=case.version, due_at=due.due_at + timedelta(days=9),
                                 next_attempt_at=due.due_at + timedelta(days=9), created_at=frozen.now())  # fmt: skip
    fired_at = MERCHANT_DEADLINE + timedelta(minutes=1)
    frozen.at(fired_at)
    # when the worker fires the due one (its claim and its change, without the pass's settling of refunds,
    # which closes the case's timers again when the refund is paid)
    counted: Counter[str] = Counter()
    with CaptureQueriesContext(connection) as seen:
        assert worker._fire_batch(fired_at, counted, 1) == 1
    # then it is fired, the stray one obsolete, both at that moment, and the case moved on
    assert counted == Counter({"fired:merchant_overdue": 1})
    assert AfterSale.objects.get(pk=case.pk).state != "pending_merchant"
    due.refresh_from_db()
    stray.refresh_from_db()
    assert (due.status, due.fired_at) == (FIRED, fired_at)
    assert (stray.status, stray.fired_at) == (OBSOLETE, fired_at)
    assert not Timer.objects.filter(case=case, status=PENDING, state="pending_merchant").exists()
    # and the case's timers were closed by one statement
    closing = [q["sql"] for q in seen.captured_queries if re.match(r'UPDATE "?timers_timer"? ', q["sql"])]
    assert len(closing) == 1
