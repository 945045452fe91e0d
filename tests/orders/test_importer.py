"""The bulk import path: JSON Lines of orders with items and past cases, batch by batch."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.orders.importer import BadLine, import_lines
from aftersales.orders.models import Order, OrderItem
from aftersales.timers.models import Timer


def _line(world: Any, sn: str, **extra: Any) -> str:
    line = {
        "shop": world.shop.code, "order_sn": sn, "buyer_id": "imported-buyer",
        "receiver": {"name": "张三", "phone": "13812345678", "address": "上海市浦东新区"},
        "items": [{"sku": "IMP-SKU", "qty": 2, "unit_price_fen": 1990}], "freight_fen": 0, "paid_fen": 3980,
        "paid_at": "2026-11-01T10:00:00+08:00", "signed_at": "2026-11-03T10:00:00+08:00",
    }  # fmt: skip
    line.update(extra)
    return json.dumps(line, ensure_ascii=False)


@pytest.mark.django_db
def test_import_loads_orders_items_and_past_cases_with_their_event(world: Any) -> None:
    # given two orders, one with a refunded case and one with an open case and its deadline
    lines = [
        _line(world, "IMP-1", cases=[{"type": "refund_only", "state": "refunded", "reason_code": "damaged",
                                      "items": [{"sku": "IMP-SKU", "qty": 1}], "refund_fen": 1990,
                                      "created_at": "2026-11-04T10:00:00+08:00"}]),
        _line(world, "IMP-2", cases=[{"type": "refund_only", "state": "pending_merchant", "reason_code": "damaged",
                                      "items": [{"sku": "IMP-SKU", "qty": 1}],
                                      "created_at": "2026-11-05T10:00:00+08:00",
                                      "deadline_at": "2026-11-07T10:00:00+08:00"}]),
    ]  # fmt: skip
    # when they are imported
    summary = import_lines(lines)
    # then orders, lines, cases and one import event each are there; the open case has its pending timer
    assert (summary.orders, summary.items, summary.cases, summary.skus_created) == (2, 2, 2, 1)
    assert OrderItem.objects.get(order__order_sn="IMP-1").paid_fen == 3980
    assert CaseEvent.objects.filter(action="import").count() == 2
    open_case = AfterSale.objects.get(order_sn="IMP-2")
    assert Timer.objects.get(case=open_case, status="pending").kind == "merchant_overdue"


@pytest.mark.django_db
def test_a_bad_line_is_refused_with_its_number_and_nothing_of_its_batch_is_loaded(world: Any) -> None:
    # given a first batch that is good and a second batch whose second line pays more than the goods cost
    lines = [
        _line(world, "OK-1"),
        _line(world, "OK-2"),
        _line(world, "OK-3"),
        _line(world, "BAD-4", paid_fen=99999),
    ]
    # when imported two lines per batch
    with pytest.raises(BadLine) as refused:
        import_lines(lines, batch_size=2)
    # then the error names line 4, the first batch stands and nothing of the second was loaded
    assert refused.value.params["line"] == 4
    assert "paid_fen" in refused.value.detail()
    assert sorted(Order.objects.values_list("order_sn", flat=True)) == ["OK-1", "OK-2"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"paid_at": "2026-11-01T10:00:00"}, "offset"),
        ({"items": []}, "items"),
        ({"shop": "no-such-shop"}, "unknown shop"),
        ({"cases": [{"type": "refund_only", "state": "closed", "reason_code": "damaged",
                     "items": [{"sku": "IMP-SKU", "qty": 1}], "created_at": "2026-11-04T10:00:00+08:00"}]},
         "close_reason"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_line_is_refused_and_loads_nothing(
    world: Any, extra: dict[str, Any], words: str
) -> None:
    with pytest.raises(BadLine) as refused:
        import_lines([_line(world, "X-1", **extra)])
    assert words in refused.value.detail()
    assert not Order.objects.filter(order_sn="X-1").exists()


@pytest.mark.django_db
def test_an_order_already_there_is_refused(world: Any) -> None:
    import_lines([_line(world, "DUP-1")])
    with pytest.raises(BadLine) as refused:
        import_lines([_line(world, "DUP-1")])
    assert "already exists" in refused.value.detail()
    assert Order.objects.filter(order_sn="DUP-1").count() == 1
