"""B1: whole cases through the service layer in process — apply → agree → ship_return → receive_return →
refund settled, each step its own transaction with its event, timer and card rows — against the same
number of bare ``SELECT … FOR UPDATE`` + ``UPDATE`` + ``INSERT`` transactions through the driver."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection

from aftersales.cases import services as cs
from aftersales.core import clock, rows
from aftersales.core.actors import Actor
from aftersales.refunds.models import Refund
from bench.common import emit, engine, timed
from bench.data import T0, make_buyer, make_order, make_shop

STEPS = 5


def _ceiling(n: int) -> float:
    """Seconds for ``n`` bare transactions on the same connection and database."""
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_ceiling (id integer primary key, v integer not null)")
        cur.execute("CREATE TABLE IF NOT EXISTS bench_ceiling_log (id integer, v integer not null)")
        cur.execute("DELETE FROM bench_ceiling")
        cur.execute("INSERT INTO bench_ceiling (id, v) VALUES (1, 0)")
    raw = connection.connection
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    param = "%s" if connection.vendor == "postgresql" else "?"

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

    connection.ensure_connection()
    if connection.vendor == "postgresql":
        raw.autocommit = False
    elapsed = timed(go)
    if connection.vendor == "postgresql":
        raw.autocommit = True
    return elapsed


def _drive(cases: int) -> float:
    shop = make_shop()
    buyers = [make_buyer(f"b1-buyer-{i}")[0] for i in range(cases)]
    orders = [make_order(shop, b, f"B1-{i:06d}", T0 - timedelta(days=2)) for i, b in enumerate(buyers)]
    clock.freeze(T0)
    payment = Actor.payment("simulated")

    def go() -> None:
        for buyer, order in zip(buyers, orders, strict=True):
            case = cs.apply(
                cs.Application(
                    order.order_sn, "return_refund", "quality_issue", [cs.ItemRequest("SKU-1", 1)]
                ),
                actor=buyer,
            )
            cs.agree(case.pk, actor=shop.merchant)
            cs.ship_return(case.pk, actor=buyer, carrier="SF", tracking_no="SF1234567890123", freight_fen=800)
            cs.receive_return(case.pk, actor=shop.merchant, accept=True)
            # The provider's callback names the refund it paid.
            refund = rows.get(Refund, case_id=case.pk)
            assert refund is not None
            cs.record_refund_outcome(refund.pk, actor=payment, status="succeeded")

    return timed(go)


def run(*, quick: bool) -> None:
    cases = 60 if quick else 500
    ours_s = _drive(cases)
    transactions = cases * STEPS
    ceiling_s = _ceiling(transactions)
    emit(f"transitions_{engine()}", transactions, transactions / ours_s, transactions / ceiling_s, "transactions/s",
         ours_ms_per_case=round(ours_s / cases * 1000, 2))  # fmt: skip
