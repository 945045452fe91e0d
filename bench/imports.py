"""B5: loading orders with their items and cases from JSON Lines through ``aftersales import``'s code path,
against ``executemany`` of the same rows through the driver."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection, transaction

from aftersales.orders.importer import import_lines
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


def _ceiling(n: int) -> float:
    """The same rows (orders, items, cases, case items, events) with executemany, no validation, one
    transaction per 2 000 orders."""
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
        for start in range(0, n, 2000):
            rows = range(start, min(n, start + 2000))
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(f"INSERT INTO bench_orders VALUES ({p},{p},{p},{p},{p},{p},{p},{p},{p})",
                                [(shop_id, f"C{i:09d}", f"imp-buyer-{i % 5000}", "张三", "13812345678", "上海市浦东新区",
                                  0, 1990, paid) for i in rows])  # fmt: skip
                cur.executemany(f"INSERT INTO bench_items VALUES ({p},{p},{p},{p})",
                                [(f"C{i:09d}", f"SKU-{i % 100}", 1, 1990) for i in rows])  # fmt: skip
                cases = [i for i in rows if i % 10 == 0]
                cur.executemany(f"INSERT INTO bench_cases VALUES ({p},{p},{p},{p})",
                                [(f"C{i:09d}", "refund_only", "refunded", 1990) for i in cases])  # fmt: skip
                cur.executemany(f"INSERT INTO bench_events VALUES ({p},{p},{p})",
                                [(f"C{i:09d}", "import", "{}") for i in cases])  # fmt: skip

    return timed(go)


def run(*, quick: bool) -> None:
    n = 20_000 if quick else 1_000_000
    make_shop("bench")
    lines = _lines(n, "IMP")
    ours = timed(lambda: import_lines(lines))
    ceiling = _ceiling(n)
    emit(f"import_{engine()}", n, n / ours, n / ceiling, "orders/s")
