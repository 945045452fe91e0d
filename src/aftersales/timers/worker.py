"""The timer worker: fire due deadlines and settle refunds, by calling the same services a person would.

``run_due(now)`` is one pass; ``aftersales timers run`` calls it once, ``aftersales worker`` in a loop.
Each timer is handled in its own transaction on PostgreSQL, in a savepoint of its own with a few others on
SQLite (``batch_size``); on PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several workers
share the load and never fire one timer twice."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction

from aftersales.cases.services.expire import expire
from aftersales.cases.services.payment import record_refund_outcome
from aftersales.core import clock, rows
from aftersales.core.actors import Actor
from aftersales.core.planner import refresh_planner_statistics
from aftersales.refunds.gateway import configured_gateway
from aftersales.refunds.models import Refund
from aftersales.refunds.services import due_for_gateway
from aftersales.reviews.services import recompute_reputations
from aftersales.timers.crew import Crew
from aftersales.timers.models import FAILED, PENDING, Timer

log = logging.getLogger("aftersales.worker")

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=1)
UPKEEP_EVERY = timedelta(hours=1)


# The claim: pending timers due now, oldest first. The status is written into the statement, not bound,
# so the planner can match the partial index of pending timers.
CLAIM_CONDITION = f"t.status = '{PENDING}' AND t.next_attempt_at <= %s"
CLAIM_ORDER = "t.next_attempt_at, t.id"
# Timers one transaction fires on SQLite, each in a savepoint of its own: SQLite's commit writes every page
# the transaction changed to its log, and the timers of a batch share many of them (the same index pages),
# while the write lock is held a few milliseconds. On PostgreSQL each timer is its own transaction: the
# commits of the crew's threads overlap, and a savepoint would cost two more round trips than it saves.
SQLITE_BATCH = 10


def batch_size() -> int:
    return SQLITE_BATCH if connection.vendor == "sqlite" else 1


def _batch(size: int) -> AbstractContextManager[object]:
    """The transaction a batch of ``size`` shares; for one alone, none (its own ``atomic`` is then its
    transaction instead of a savepoint)."""
    return transaction.atomic() if size > 1 else nullcontext()


def claim_query(now: datetime) -> rows.Query[Timer]:
    """The earliest due pending timer no other worker holds, locked, read with its case (locked too, waiting
    for whoever is changing it) and the case's shop (``timer.case.shop``): what firing it needs, in one
    statement."""
    return rows.query_where(
        Timer, CLAIM_CONDITION, [rows.stamp(now)], related="case__shop", order_by=CLAIM_ORDER,
        lock=True, skip_locked=True, lock_related=True,
    )  # fmt: skip


def _claim(now: datetime) -> Timer | None:
    (found,) = rows.fetch(claim_query(now))
    return found[0] if found else None


def _fire_batch(now: datetime, summary: Counter[str], room: int) -> int:
    """Claim and handle up to ``room`` due timers; how many were claimed (0 when none is due). Each timer's
    claim, action and new status are its own transaction, or with ``room`` above one a savepoint of one
    transaction for them all. When the action fails, that much is rolled back and the failure is recorded
    on the timer, so it backs off and shows."""
    claimed_n = 0
    with _batch(room):
        while claimed_n < room:
            claimed: Timer | None = None
            try:
                with transaction.atomic():
                    claimed = _claim(now)
                    if claimed is None:
                        break
                    # ``expire`` closes the claimed timer with the change it makes.
                    outcome = expire(
                        claimed.case_id, state=claimed.state, at=now, timer=claimed, case=claimed.case
                    )
            except Exception as exc:  # a failing handler must not stop the others
                if claimed is None:
                    raise
                log.exception("timer %s (%s) failed", claimed.pk, claimed.kind)
                _record_failure(claimed.pk, now, exc)
                summary[f"failed:{claimed.kind}"] += 1
            else:
                summary[f"{outcome}:{claimed.kind}"] += 1
            claimed_n += 1
    return claimed_n


def _record_failure(timer_id: int, now: datetime, exc: Exception) -> None:
    with transaction.atomic():
        timer = rows.get(Timer, lock=True, id=timer_id, status=PENDING)
        if timer is None:  # another worker handled it meanwhile
            return
        timer.attempts += 1
        timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        timer.status = FAILED if timer.attempts >= MAX_ATTEMPTS else PENDING
        timer.next_attempt_at = now + BACKOFF * (2 ** (timer.attempts - 1))
        rows.update(timer, ["attempts", "last_error", "status", "next_attempt_at"])


def settle_refunds(now: datetime, summary: Counter[str], *, crew: Crew) -> None:
    """Ask the gateway about every refund due now and record what it says; the crew's threads share the
    list."""
    gateway = configured_gateway()
    due = due_for_gateway(now)

    def settle(share: list[Refund], counted: Counter[str]) -> None:
        # The gateway is asked outside any transaction; what it said is recorded as the timers are, a batch
        # of refunds a transaction, each in its own savepoint (``record_refund_outcome``'s), so one that
        # cannot be recorded is left for the next pass alone.
        settled = [
            (refund, said) for refund in share if (said := gateway.outcome(refund, now=now)) is not None
        ]
        size = batch_size()
        for start in range(0, len(settled), size):
            with _batch(size):
                for refund, outcome in settled[start : start + size]:
                    try:
                        result = record_refund_outcome(
                            refund.pk, actor=Actor.payment(gateway.name), status=outcome, at=now
                        )
                    except Exception:  # a refund that fails to record must not stop the others
                        log.exception("refund %s: recording %s failed", refund.pk, outcome)
                        continue
                    if result.changed:  # another worker may have settled it first; count what this pass did
                        counted[f"refund_{outcome}"] += 1

    summary.update(crew.side_by_side([partial(settle, due[k :: crew.size]) for k in range(crew.size)]))


def run_due(
    now: datetime | None = None, *, limit: int | None = None, threads: int = 1, crew: Crew | None = None
) -> dict[str, Any]:
    """One pass: every timer due at ``now`` once, then the refunds the gateway has settled. The threads of
    ``crew`` (or of a crew of ``threads`` made for this pass alone) work side by side, each on its own
    connection (on PostgreSQL the claims skip each other's rows; waiting on the database is most of a
    timer's cost, so they overlap well)."""
    if crew is None:
        with Crew(threads) as own:
            return run_due(now, limit=limit, crew=own)
    at = now or clock.now()
    left = [limit]
    lock = threading.Lock()
    size = batch_size()

    def take() -> int:
        """Room for the next batch: up to ``size`` of what ``limit`` leaves."""
        with lock:
            if left[0] is None:
                return size
            room = min(size, left[0])
            left[0] -= room
            return room

    def drain(counted: Counter[str]) -> None:
        while room := take():
            claimed = _fire_batch(at, counted, room)
            if claimed < room:  # none is due any more: what this batch left is for no one
                return

    summary = crew.side_by_side([drain] * crew.size)
    settle_refunds(at, summary, crew=crew)
    return _report(at, summary)


def _report(at: datetime, summary: Counter[str]) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {"fired": {}, "obsolete": {}, "failed": {}}
    refunds = {"succeeded": summary.pop("refund_succeeded", 0), "failed": summary.pop("refund_failed", 0)}
    for key, count in summary.items():
        outcome, kind = key.split(":", 1)
        by_kind[outcome][kind] = count
    return {
        "now": at.isoformat(),
        "fired": sum(by_kind["fired"].values()),
        "obsolete": sum(by_kind["obsolete"].values()),
        "failed": sum(by_kind["failed"].values()),
        "by_kind": by_kind,
        "refunds": refunds,
    }


def run_forever(poll_seconds: float, stop: Any = None, *, threads: int = 1) -> None:
    """Poll until ``stop`` (an Event-like object) is set, with one crew of ``threads`` for every pass."""
    log.info("timer worker started, polling every %ss", poll_seconds)
    with Crew(threads) as crew:
        _poll(poll_seconds, stop, crew)


def _poll(poll_seconds: float, stop: Any, crew: Crew) -> None:
    upkept_at: datetime | None = None
    while stop is None or not stop.is_set():
        try:
            report = run_due(crew=crew)
            if report["fired"] or report["failed"] or any(report["refunds"].values()):
                log.info("timers: %s", report)
            now = clock.now()
            if upkept_at is None or now - upkept_at >= UPKEEP_EVERY:
                # Ratings older than 90 days leave the shops' scores even when no new rating arrives.
                recompute_reputations(at=now)
                # SQLite's planner statistics follow the tables as they grow.
                refresh_planner_statistics()
                upkept_at = now
        except Exception:
            log.exception("timer pass failed; retrying")
        finally:
            connection.close()
        if stop is not None:
            stop.wait(poll_seconds)
        else:
            time.sleep(poll_seconds)
