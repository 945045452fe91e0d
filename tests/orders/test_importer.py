"""The bulk import path: JSON Lines of orders with items and past cases, batch by batch."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from aftersales.accounts.models import Buyer
from aftersales.accounts.services import ensure_buyer
from aftersales.cases.models import NO_DEADLINE, AfterSale, CaseEvent, CaseItem
from aftersales.catalog.models import Sku
from aftersales.cli import cmd_import
from aftersales.orders.importer import BadLine, import_lines
from aftersales.orders.models import Order, OrderItem
from aftersales.timers.models import Timer
from tests.factories import make_sku, sh


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
        ({"paid_at": "2026-11-01T10:00:00"}, "时间须带时区偏移"),
        ({"items": []}, "items: 项数太少：至少需要 1 项。"),
        ({"paid_fen": 19.9}, "paid_fen: 须为不带小数的整数（金额以分为单位）。"),
        ({"paid_fen": 10**30}, "paid_fen: 不能大于 1000000000000。"),
        ({"paid_at": "9999-12-31T10:00:00+08:00"}, "paid_at: 须小于 2100-01-01T00:00:00Z。"),
        ({"shop": "no-such-shop"}, "未知的店铺“no-such-shop”"),
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
    assert refused.value.detail() == "第 1 行：订单 DUP-1 已存在。"
    assert Order.objects.filter(order_sn="DUP-1").count() == 1


def _case(sku: str, state: str = "refunded", **extra: Any) -> dict[str, Any]:
    return {"type": "refund_only", "state": state, "reason_code": "damaged", "items": [{"sku": sku, "qty": 1}],
            "refund_fen": 0, "created_at": "2026-11-04T10:00:00+08:00", **extra}  # fmt: skip


@pytest.mark.django_db
def test_cases_link_to_their_own_order_across_batch_boundaries(world: Any) -> None:
    # given five orders of two lines each, every one with two cases naming one line each, three per batch
    lines = [
        _line(world, f"B-{n}", paid_fen=2990,
              items=[{"sku": f"A-{n}", "qty": 1, "unit_price_fen": 1990}, {"sku": f"B-{n}", "qty": 1, "unit_price_fen": 1000}],
              cases=[_case(f"A-{n}", deadline_at=None),
                     _case(f"B-{n}", state="pending_merchant", deadline_at=f"2026-11-{n + 5:02d}T10:00:00+08:00")])
        for n in range(1, 6)
    ]  # fmt: skip
    # when they are imported
    summary = import_lines(lines, batch_size=3)
    # then each case holds the line of its own order, has its one event, and the open one its own timer
    assert (summary.orders, summary.items, summary.cases, summary.batches) == (5, 10, 10, 2)
    for n in range(1, 6):
        cases = list(AfterSale.objects.filter(order__order_sn=f"B-{n}").order_by("id"))
        assert [c.state for c in cases] == ["refunded", "pending_merchant"]
        for case, sku in zip(cases, (f"A-{n}", f"B-{n}"), strict=True):
            item = CaseItem.objects.get(case=case)
            linked = (item.order_item.order_id, item.order_item.sku_code, item.sku_code)
            assert linked == (case.order_id, sku, sku)
            assert list(case.events.values_list("seq", "action", "to_state")) == [(1, "import", case.state)]
        assert cases[1].deadline_at == sh(2026, 11, n + 5, 10)
        assert list(Timer.objects.filter(case=cases[1]).values_list("due_at", "status")) == [
            (sh(2026, 11, n + 5, 10), "pending")
        ]
        assert not Timer.objects.filter(case=cases[0]).exists()


@pytest.mark.django_db
def test_imported_rows_read_back_as_the_orm_writes_them(world: Any) -> None:
    # given an order paid at a time with microseconds, in another zone, with freight, spread over two lines
    line = _line(world, "RB-1", buyer_id="rb-buyer", freight_fen=500, paid_fen=2500, carrier="ZTO",
                 paid_at="2026-11-01T23:59:59.123456-05:00", shipped_at="2026-11-02T20:00:00+08:00",
                 signed_at="2026-11-03T10:00:00.5+08:00", return_freight_insured=True,
                 items=[{"sku": "RB-A", "qty": 1, "unit_price_fen": 1000}, {"sku": "RB-B", "qty": 2, "unit_price_fen": 1000}],
                 cases=[_case("RB-B", state="closed", close_reason="buyer_cancelled",
                              updated_at="2026-11-05T10:00:00+08:00")])  # fmt: skip
    # when it is imported
    import_lines([line])
    # then every field reads back as given, the rest hold their defaults, and times compare as times
    order = Order.objects.get(order_sn="RB-1")
    paid = datetime(2026, 11, 2, 4, 59, 59, 123456, tzinfo=UTC)
    expected_order = {
        "paid_at": paid, "shipped_at": sh(2026, 11, 2, 20), "signed_at": datetime(2026, 11, 3, 2, 0, 0, 500000, tzinfo=UTC),
        "freight_fen": 500, "paid_fen": 2500, "carrier": "ZTO", "tracking_no": "", "return_freight_insured": True,
        "entry_closed_reason": "", "entry_closed_at": None,
    }  # fmt: skip
    assert _fields(order, expected_order) == expected_order
    assert order.buyer.external_id == "rb-buyer"
    near = (paid - timedelta(microseconds=1), paid + timedelta(microseconds=1))
    assert Order.objects.filter(paid_at__gt=near[0], paid_at__lt=near[1]).exists()
    lines = sorted(order.items.values_list("sku_code", "qty", "paid_fen"))
    assert lines == [("RB-A", 1, 667), ("RB-B", 2, 1333)]
    case = AfterSale.objects.get(order=order)
    expected_case = {
        "state": "closed", "close_reason": "buyer_cancelled", "waiting_on": "", "return_freight_payer": "insurer",
        "evidence": [], "return_address": None, "deadline_at": None, "due_sort": NO_DEADLINE,
        "initiated_by": "buyer", "counts_as_application": True, "version": 1, "event_seq": 1,
        "updated_at": sh(2026, 11, 5, 10),
    }  # fmt: skip
    assert _fields(case, expected_case) == expected_case
    expected_event = {
        "actor_role": "system",
        "actor_id": "import",
        "from_state": "",
        "data": {"source": "import"},
    }
    assert _fields(case.events.get(), expected_event) == expected_event
    assert Sku.objects.get(shop=world.shop, sku="RB-B").price_fen == 1000


def _fields(row: Any, expected: dict[str, Any]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in expected}


@pytest.mark.django_db
def test_known_buyers_and_skus_are_reused_and_new_ones_counted(world: Any) -> None:
    # given a SKU and a buyer the shop already has
    make_sku(world, "IMP-SKU")
    ensure_buyer("imported-buyer")
    # when three orders name them and one new buyer and one new SKU
    summary = import_lines([
        _line(world, "RU-1"),
        _line(world, "RU-2", buyer_id="new-buyer"),
        _line(world, "RU-3", items=[{"sku": "NEW-SKU", "qty": 1, "unit_price_fen": 100}], paid_fen=100),
    ])  # fmt: skip
    # then only the new ones are created
    assert (summary.buyers_created, summary.skus_created) == (1, 1)
    assert Sku.objects.filter(shop=world.shop).count() == 2


@pytest.mark.django_db
def test_an_order_twice_in_one_batch_is_refused_with_the_second_line(world: Any) -> None:
    with pytest.raises(BadLine) as refused:
        import_lines([_line(world, "TW-1"), _line(world, "TW-2"), _line(world, "TW-1")])
    assert refused.value.params["line"] == 3
    assert refused.value.detail() == "第 3 行：订单 TW-1 重复出现"
    assert not Order.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "第 2 行：订单 EN-1 重复出现"), ("en", "line 2: order EN-1 appears twice")],
)
def test_a_bad_line_is_refused_in_the_language_of_the_caller(
    world: Any, language: str, expected: str
) -> None:
    with translation.override(language):
        with pytest.raises(BadLine) as refused:
            import_lines([_line(world, "EN-1"), _line(world, "EN-1")])
        assert refused.value.detail() == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "第 1 行：cases.0.state: 未知的状态“bogus”"),
        ("en", "line 1: cases.0.state: unknown state 'bogus'"),
    ],
)
def test_a_case_in_an_unknown_state_is_refused_in_the_language_of_the_caller(
    world: Any, language: str, expected: str
) -> None:
    with translation.override(language):
        with pytest.raises(BadLine) as refused:
            import_lines([_line(world, "ST-1", cases=[_case("IMP-SKU", state="bogus")])])
        assert refused.value.detail() == expected
    assert not Order.objects.filter(order_sn="ST-1").exists()


@pytest.mark.django_db
def test_a_line_that_is_not_json_is_refused_with_its_number(world: Any) -> None:
    with pytest.raises(BadLine) as refused:
        import_lines([_line(world, "NJ-1"), "", '{"shop": '])
    assert refused.value.params["line"] == 3
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_progress_counts_every_line_read_blank_ones_too(world: Any) -> None:
    # given three orders among blank lines, with blank lines at the end
    lines = ["\n", _line(world, "PG-1"), _line(world, "PG-2"), "  \n", _line(world, "PG-3"), "\n", "\n"]
    heard: list[int] = []
    # when imported two orders per batch
    summary = import_lines(lines, batch_size=2, progress=heard.append)
    # then the bar hears of every line once, the blank tail too, and two batches were written
    assert sum(heard) == len(lines)
    assert summary.batches == 2
    assert summary.orders == 3


@pytest.mark.django_db
def test_a_batch_costs_the_same_queries_however_many_lines_it_has(world: Any) -> None:
    # given buyers and SKUs already known, so that only orders and cases are written
    import_lines([_line(world, "QC-0", cases=[_case("IMP-SKU")])])

    def queries(prefix: str, n: int) -> int:
        lines = [_line(world, f"{prefix}-{i}", cases=[_case("IMP-SKU")]) for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            import_lines(lines)
        return len(captured)

    # when a batch of 3 and a batch of 300 orders are imported, then they take as many statements
    assert queries("QS", 3) == queries("QL", 300)


@pytest.mark.django_db
def test_the_import_command_reads_a_file_and_prints_its_summary(
    world: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a file of two orders in UTF-8 with a blank line between them
    path = tmp_path / "orders.jsonl"
    path.write_text(_line(world, "CLI-1") + "\n\n" + _line(world, "CLI-2") + "\n", encoding="utf-8")
    # when the command imports it
    cmd_import(argparse.Namespace(file=str(path), batch=1, quiet=True))
    # then it prints what it loaded, and the receiver's name came through
    printed = json.loads(capsys.readouterr().out)
    assert (printed["orders"], printed["items"], printed["buyers_created"]) == (2, 2, 1)
    assert Order.objects.get(order_sn="CLI-2").receiver_name == "张三"


@pytest.mark.django_db
def test_an_order_already_there_fails_its_whole_batch_and_names_its_line(world: Any) -> None:
    # given an order imported before
    import_lines([_line(world, "AT-2")])
    # when a later file has it last, in its second batch, beside an order of a new buyer
    lines = [
        _line(world, "AT-0"),
        _line(world, "AT-1"),
        _line(world, "AT-3", buyer_id="at-new"),
        _line(world, "AT-2"),
    ]
    with pytest.raises(BadLine) as refused:
        import_lines(lines, batch_size=2)
    # then the error names line 4, the first batch stands, and the new buyer went with the failed batch
    assert refused.value.params["line"] == 4
    assert refused.value.detail() == "第 4 行：订单 AT-2 已存在。"
    assert sorted(Order.objects.values_list("order_sn", flat=True)) == ["AT-0", "AT-1", "AT-2"]
    assert not Buyer.objects.filter(external_id="at-new").exists()
