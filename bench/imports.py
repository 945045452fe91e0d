"""B5: loading orders with their items and cases from JSON Lines through ``aftersales import``'s code path,
against ``executemany`` of the same rows through the driver.

The ceiling writes exactly the rows the import writes (buyers and SKUs it did not know, orders, items, cases,
case items, events), every column, into the same tables with their indexes and constraints, one transaction
per 2 000 orders; it does none of the import's work: no parsing, no checks, values already in the driver's
form, primary keys chosen up front instead of read back. The two take turns, a batch of 2 000 orders each,
so that both write into tables of the same size. ``ceiling_bare`` is the earlier figure, the same number of
narrower rows into scratch tables without indexes, kept for the record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction

from aftersales.accounts.services import create_shop
from aftersales.cases.models import NO_DEADLINE
from aftersales.core import clock, rows
from aftersales.orders.importer import BATCH, import_lines
from bench.common import emit, engine, timed
from bench.data import T0, make_shop


def _lines(n: int, prefix: str) -> list[str]:
    paid = T0 - timedelta(days=10)
    out = []
    for i in range(n):
        line = {"shop": "bench", "order_sn": f"{prefix}{i:09d}", "buyer_id": f"imp-buyer-{i % 5000}",
                "receiver": {"name": "张三", "phone": "13812345678", "address": "上海市浦东新区"},
                "items": [{"sku": f"SKU-{i % 100}", "qty": 1, "unit_price_fen": 1990}], "freight_fen": 0,
                "paid_fen": 1990, "paid_at": paid.isoformat(), "signed_at": (paid + timedelta(days=2)).isoformat()}  # fmt: skip
        if i % 10 == 0:
            line["cases"] = [{"type": "refund_only", "state": "refunded", "reason_code": "damaged",
                              "items": [{"sku": f"SKU-{i % 100}", "qty": 1}], "refund_fen": 1990,
                              "created_at": (paid + timedelta(days=3)).isoformat()}]  # fmt: skip
        out.append(json.dumps(line, ensure_ascii=False))
    return out


def _insert(table: str, columns: str, width: int) -> str:
    return f"INSERT INTO {table} ({columns}) VALUES ({rows.marks(width)})"


_BUYER = _insert("accounts_buyer", "id, external_id, name, user_id, created_at", 5)
_SKU = _insert("catalog_sku", "id, shop_id, sku, name, price_fen, stock, reserved, no_reason_return, created_at, "
               "updated_at", 10)  # fmt: skip
_ORDER = _insert("orders_order", "id, shop_id, order_sn, buyer_id, receiver_name, receiver_phone, receiver_address, "
                 "freight_fen, paid_fen, paid_at, shipped_at, carrier, tracking_no, signed_at, "
                 "return_freight_insured, entry_closed_reason, entry_closed_at, created_at", 18)  # fmt: skip
_ITEM = _insert(
    "orders_orderitem", "id, shop_id, order_id, sku_id, sku_code, qty, unit_price_fen, paid_fen", 8
)
_CASE = _insert("cases_aftersale", "id, shop_id, order_id, order_sn, buyer_id, type, state, close_reason, "
                "waiting_on, reason_code, merchant_fault, return_freight_payer, refund_fen, freight_refund_fen, "
                "exchange_sku, description, evidence, return_address, initiated_by, counts_as_application, "
                "refund_decided_by, merchant_liable, deadline_at, due_sort, version, event_seq, created_at, "
                "updated_at", 28)  # fmt: skip
_CASE_ITEM = _insert("cases_caseitem", "shop_id, case_id, order_item_id, sku_code, qty", 5)
_EVENT = _insert("cases_caseevent", "shop_id, case_id, seq, at, action, actor_role, actor_id, from_state, "
                 "to_state, data", 10)  # fmt: skip


def _next_ids(cur: Any, *tables: str) -> list[int]:
    out = []
    for table in tables:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        out.append(cur.fetchone()[0])
    return out


class _Ceiling:
    """The rows the import of ``_lines`` writes, for a shop of their own, written as they are: each batch with
    the buyers and SKUs first named in it, as the import creates them."""

    def __init__(self) -> None:
        self.shop_id = create_shop("bench-ceiling", name="压测对照").pk
        stamp = connection.ops.adapt_datetimefield_value
        self.paid = stamp(T0 - timedelta(days=10))
        self.signed = stamp(T0 - timedelta(days=8))
        self.opened = stamp(T0 - timedelta(days=7))
        self.now = stamp(clock.now())
        self.no_deadline = stamp(NO_DEADLINE)
        self.evidence = connection.ops.adapt_json_value([], None)
        self.data = connection.ops.adapt_json_value({"source": "import"}, None)
        self.buyers: list[int] = []  # by buyer number (i % 5000)
        self.skus: list[int] = []  # by SKU number (i % 100)

    def write(self, first: int, end: int) -> None:
        """Orders ``first`` to ``end`` (excluded), a transaction per batch."""
        for start in range(first, end, BATCH):
            self._batch(range(start, min(end, start + BATCH)))

    def _buyers_and_skus(self, cur: Any, numbers: range) -> None:
        buyer0, sku0 = _next_ids(cur, "accounts_buyer", "catalog_sku")
        new_buyers = range(len(self.buyers), min(5000, numbers.stop))
        new_skus = range(len(self.skus), min(100, numbers.stop))
        cur.executemany(_BUYER, [(buyer0 + k, f"ceiling-buyer-{b}", "", None, self.now)
                                 for k, b in enumerate(new_buyers)])  # fmt: skip
        cur.executemany(_SKU, [(sku0 + k, self.shop_id, f"SKU-{s}", f"SKU-{s}", 1990, 0, 0, True, self.now, self.now)
                               for k, s in enumerate(new_skus)])  # fmt: skip
        self.buyers += range(buyer0, buyer0 + len(new_buyers))
        self.skus += range(sku0, sku0 + len(new_skus))

    def _batch(self, numbers: range) -> None:
        shop_id, paid, signed, opened, buyers, skus = (
            self.shop_id, self.paid, self.signed, self.opened, self.buyers, self.skus
        )  # fmt: skip
        with transaction.atomic(), connection.cursor() as cur:
            self._buyers_and_skus(cur, numbers)
            order0, item0, case0 = _next_ids(cur, "orders_order", "orders_orderitem", "cases_aftersale")
            start = numbers.start
            cur.executemany(_ORDER, [
                (order0 + i - start, shop_id, f"C{i:09d}", buyers[i % 5000], "张三", "13812345678",
                 "上海市浦东新区", 0, 1990, paid, signed, "", "", signed, False, "", None, self.now)
                for i in numbers
            ])  # fmt: skip
            cur.executemany(_ITEM, [
                (item0 + i - start, shop_id, order0 + i - start, skus[i % 100], f"SKU-{i % 100}", 1, 1990, 1990)
                for i in numbers
            ])  # fmt: skip
            cases = [i for i in numbers if i % 10 == 0]
            cur.executemany(_CASE, [
                (case0 + k, shop_id, order0 + i - start, f"C{i:09d}", buyers[i % 5000], "refund_only",
                 "refunded", "", "", "damaged", True, "merchant", 1990, 0, "", "", self.evidence, None, "buyer",
                 True, "", False, None, self.no_deadline, 1, 1, opened, opened)
                for k, i in enumerate(cases)
            ])  # fmt: skip
            cur.executemany(_CASE_ITEM, [
                (shop_id, case0 + k, item0 + i - start, f"SKU-{i % 100}", 1) for k, i in enumerate(cases)
            ])  # fmt: skip
            cur.executemany(_EVENT, [
                (shop_id, case0 + k, 1, opened, "import", "system", "import", "", "refunded", self.data)
                for k in range(len(cases))
            ])  # fmt: skip


def _ceiling_bare(n: int) -> float:
    """The earlier ceiling: as many rows, fewer columns, into scratch tables without indexes or keys."""
    shop_id = connection.cursor().execute("SELECT id FROM accounts_shop WHERE code = 'bench'").fetchone()[0]
    p = "%s" if connection.vendor == "postgresql" else "?"
    paid = T0 - timedelta(days=10)

    def go() -> None:
        with connection.cursor() as cur:
            cur.execute("CREATE TABLE bench_orders (shop_id bigint, order_sn varchar(64), buyer varchar(64), name text, "
                        "phone text, address text, freight bigint, paid bigint, paid_at timestamp with time zone)")  # fmt: skip
            cur.execute(
                "CREATE TABLE bench_items (order_sn varchar(64), sku varchar(64), qty int, price bigint)"
            )
            cur.execute(
                "CREATE TABLE bench_cases (order_sn varchar(64), type varchar(16), state varchar(32), refund bigint)"
            )
            cur.execute("CREATE TABLE bench_events (order_sn varchar(64), action varchar(32), data text)")
        for start in range(0, n, BATCH):
            numbers = range(start, min(n, start + BATCH))
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(f"INSERT INTO bench_orders VALUES ({p},{p},{p},{p},{p},{p},{p},{p},{p})",
                                [(shop_id, f"C{i:09d}", f"imp-buyer-{i % 5000}", "张三", "13812345678", "上海市浦东新区",
                                  0, 1990, paid) for i in numbers])  # fmt: skip
                cur.executemany(f"INSERT INTO bench_items VALUES ({p},{p},{p},{p})",
                                [(f"C{i:09d}", f"SKU-{i % 100}", 1, 1990) for i in numbers])  # fmt: skip
                cases = [i for i in numbers if i % 10 == 0]
                cur.executemany(f"INSERT INTO bench_cases VALUES ({p},{p},{p},{p})",
                                [(f"C{i:09d}", "refund_only", "refunded", 1990) for i in cases])  # fmt: skip
                cur.executemany(f"INSERT INTO bench_events VALUES ({p},{p},{p})",
                                [(f"C{i:09d}", "import", "{}") for i in cases])  # fmt: skip

    return timed(go)


def run(*, quick: bool) -> None:
    n = 20_000 if quick else 1_000_000
    make_shop("bench")
    lines = _lines(n, "IMP")
    ceiling = _Ceiling()
    theirs = 0.0

    def taking_turns() -> Iterator[str]:
        # When the import has written a batch and asks for the next line, the ceiling writes the same orders
        # (outside the import's transactions): both write into tables of the same size, and a busy machine
        # slows both alike. Their time is taken out of ours.
        nonlocal theirs
        for start in range(0, n, BATCH):
            if start:
                theirs += timed(partial(ceiling.write, start - BATCH, start))
            yield from lines[start : start + BATCH]

    both = timed(lambda: import_lines(taking_turns(), batch_size=BATCH))
    ours = both - theirs
    last = (n - 1) // BATCH * BATCH
    theirs += timed(partial(ceiling.write, last, n))
    bare = _ceiling_bare(n)
    emit(f"import_{engine()}", n, n / ours, n / theirs, "orders/s",
         ceiling_bare=round(n / bare, 3), ratio_bare=round(bare / ours, 3))  # fmt: skip
