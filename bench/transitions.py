"""B1: whole cases through the service layer in process — apply → agree → ship_return → receive_return →
refund settled, each step its own transaction with its event, timer and card rows — against the same
number of bare ``SELECT … FOR UPDATE`` + ``UPDATE`` + ``INSERT`` transactions through the driver, the two
taking turns after a warm-up turn each.

On SQLite the line also gives the floor of our statements (``floor``, ``floor_ratio``): the very statements
more cases' commands ran, with their parameters and their transactions, replayed through the driver alone on
a copy of the database as it was before them. No code of ours around the statements can make the commands
faster than that."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

from aftersales.cases import services as cs
from aftersales.core import clock
from aftersales.core.actors import Actor
from aftersales.refunds.models import Refund
from bench.common import emit, engine, timed
from bench.data import T0, make_buyer, make_order, make_shop

STEPS = 5
WARM_UP = 5  # cases, and as many bare transactions as their steps
TURNS = 6


def _ceiling_table() -> Callable[[int], float]:
    """A two-column row and its log, and a function timing ``n`` bare transactions on them: each locks the row,
    updates it and logs it, through the driver, on the same connection and database as ours."""
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_ceiling (id integer primary key, v integer not null)")
        cur.execute("CREATE TABLE IF NOT EXISTS bench_ceiling_log (id integer, v integer not null)")
        cur.execute("DELETE FROM bench_ceiling")
        cur.execute("INSERT INTO bench_ceiling (id, v) VALUES (1, 0)")
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    param = "%s" if connection.vendor == "postgresql" else "?"

    def bare(n: int) -> float:
        connection.ensure_connection()
        raw = connection.connection

        def go() -> None:
            for _ in range(n):
                cur = raw.cursor()
                if connection.vendor == "sqlite":
                    cur.execute("BEGIN IMMEDIATE")
                cur.execute(f"SELECT v FROM bench_ceiling WHERE id = 1{lock}")
                (v,) = cur.fetchone()
                cur.execute(f"UPDATE bench_ceiling SET v = {param} WHERE id = 1", (v + 1,))
                cur.execute(f"INSERT INTO bench_ceiling_log (id, v) VALUES (1, {param})", (v,))
                raw.commit()

        if connection.vendor == "postgresql":
            raw.autocommit = False
        try:
            return timed(go)
        finally:
            if connection.vendor == "postgresql":
                raw.autocommit = True

    return bare


def _cases(count: int) -> Callable[[int, int], float]:
    """``count`` orders ready for an application each, and a function timing cases ``start`` to ``stop``."""
    shop = make_shop()
    buyers = [make_buyer(f"b1-buyer-{i}")[0] for i in range(count)]
    orders = [make_order(shop, b, f"B1-{i:06d}", T0 - timedelta(days=2)) for i, b in enumerate(buyers)]
    clock.freeze(T0)
    payment = Actor.payment("simulated")

    def drive(start: int, stop: int) -> float:
        turn = list(zip(buyers[start:stop], orders[start:stop], strict=True))
        case_ids: list[int] = []

        def to_refunding() -> None:
            for buyer, order in turn:
                case = cs.apply(
                    cs.Application(
                        order.order_sn, "return_refund", "quality_issue", [cs.ItemRequest("SKU-1", 1)]
                    ),
                    actor=buyer,
                )
                cs.agree(case.pk, actor=shop.merchant)
                cs.ship_return(case.pk, actor=buyer, carrier="SF", tracking_no="SF1234567890123",
                               freight_fen=800)  # fmt: skip
                cs.receive_return(case.pk, actor=shop.merchant, accept=True)
                case_ids.append(case.pk)

        spent = timed(to_refunding)
        # The provider's callbacks name the refunds it paid: which ones, read untimed, as the harness's and
        # not a command's.
        paid = dict(Refund.objects.filter(case_id__in=case_ids).values_list("case_id", "id"))
        assert len(paid) == len(case_ids)

        def settle() -> None:
            for case_id in case_ids:
                cs.record_refund_outcome(paid[case_id], actor=payment, status="succeeded")

        return spent + timed(settle)

    return drive


def _sql_floor(record: Callable[[], object]) -> tuple[float, int]:
    """SQLite: the transactions per second, and how many, of the statements ``record`` runs, replayed through
    the driver on a copy of the database as it was before them, with the same parameters and the same
    ``BEGIN``/``COMMIT``. Django's execute wrapper sees each statement of ours with its parameters (the rows
    layer's too), and the driver's trace sees them all in order with the transactions' own statements."""
    path = connection.settings_dict["NAME"]
    _checkpoint()
    copy = f"{path}.floor"
    shutil.copyfile(path, copy)
    ours: list[tuple[str, Sequence[Any]]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        assert not many, "a command ran executemany; replay it as such"
        ours.append((FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%"), tuple(params or ())))
        return execute(sql, params, many, context)

    connection.ensure_connection()
    traced: list[str] = []
    connection.connection.set_trace_callback(traced.append)
    try:
        with connection.execute_wrapper(wrapper):
            record()
    finally:
        connection.connection.set_trace_callback(None)
    replay = _in_order(traced, ours)
    db = sqlite3.connect(copy, isolation_level=None, cached_statements=1024)
    try:
        for pragma in connection.settings_dict["OPTIONS"]["init_command"].split(";"):
            if pragma.strip():
                db.execute(pragma)
        # The first transactions warm the copy's pages and prepare the statements, untimed, as the warm-up
        # turn does for ours.
        ends = [i for i, (sql, _) in enumerate(replay) if sql == "COMMIT"]
        warm, measured = replay[: ends[len(ends) // 6] + 1], replay[ends[len(ends) // 6] + 1 :]

        def run(part: list[tuple[str, Sequence[Any]]]) -> None:
            for sql, params in part:
                db.execute(sql, params).fetchall()

        run(warm)
        commits = sum(sql == "COMMIT" for sql, _ in measured)
        return commits / timed(lambda: run(measured)), len(ends)
    finally:
        db.close()


def _in_order(traced: list[str], ours: list[tuple[str, Sequence[Any]]]) -> list[tuple[str, Sequence[Any]]]:
    """The statements as the driver ran them: each traced line is the next of ours, except the transactions'
    own statements that the driver sent by itself (a ``COMMIT``)."""
    left = list(reversed(ours))
    replay: list[tuple[str, Sequence[Any]]] = []
    for line in traced:
        word = line.lstrip().split(None, 1)[0].upper()
        if word in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            if left and left[-1][0].lstrip().upper().startswith(word):
                left.pop()
            replay.append((line.strip(), ()))
        else:
            replay.append(left.pop())
    if left:
        raise RuntimeError(f"{len(left)} statements were not traced by the driver")
    return replay


def _checkpoint() -> None:
    """On SQLite, move the write-ahead log into the database before a turn, untimed: each side then pays for
    copying its own pages back, never for the other's (the log is copied by whichever commit finds it long)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(RESTART)")


def run(*, quick: bool) -> None:
    cases = 60 if quick else 500
    drive = _cases(WARM_UP + cases * (2 if connection.vendor == "sqlite" else 1))
    bare = _ceiling_table()
    # One unmeasured turn each (the first cases load the holiday calendar and get their statements
    # prepared), then turns that alternate, so whatever else the machine does slows both alike.
    drive(0, WARM_UP)
    bare(WARM_UP * STEPS)
    ours_s = ceiling_s = 0.0
    per_turn = max(1, cases // TURNS)
    for start in range(WARM_UP, WARM_UP + cases, per_turn):
        stop = min(start + per_turn, WARM_UP + cases)
        _checkpoint()
        ours_s += drive(start, stop)
        _checkpoint()
        ceiling_s += bare((stop - start) * STEPS)
    transactions = cases * STEPS
    ceiling = transactions / ceiling_s
    floor: dict[str, Any] = {}
    if connection.vendor == "sqlite":
        rate, commits = _sql_floor(lambda: drive(WARM_UP + cases, WARM_UP + 2 * cases))
        assert commits == transactions, (commits, transactions)
        floor = {"floor": round(rate, 1), "floor_ratio": round(rate / ceiling, 3)}
    emit(f"transitions_{engine()}", transactions, transactions / ours_s, ceiling, "transactions/s",
         ours_ms_per_case=round(ours_s / cases * 1000, 2), **floor)  # fmt: skip
