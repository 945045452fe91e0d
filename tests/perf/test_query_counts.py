"""No query inside a loop: the queue page, the case page and each action cost a fixed number of queries,
whatever the page size or the history."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.cases import queries, views
from aftersales.cases import services as cs
from tests.factories import make_order, sh


def _apply(world: Any, buyer: Any, sku: str = "PHONE-CASE", kind: str = "return_refund") -> Any:
    order = make_order(world, buyer, items=[(sku, 1, 1990)], signed_at=sh(2026, 11, 16, 10))
    return cs.apply(
        cs.Application(order.order_sn, kind, "quality_issue", [cs.ItemRequest(sku, 1)]), actor=buyer
    )


FILTER = queries.QueueFilter(limit=50)
QUEUE_READS = {
    # The API's page, read as values; the workbench's, read as instances (and shown as views here).
    "values": lambda world: views.queue_views(world.merchant, FILTER, now=sh(2026, 11, 18, 10)),
    "instances": lambda world: views.case_views(
        queries.queue(world.merchant, FILTER, now=sh(2026, 11, 18, 10))[0], world.merchant
    ),
}


def _queue_queries(world: Any, read: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        read(world)
    return len(ctx)


@pytest.mark.django_db
@pytest.mark.parametrize("read", QUEUE_READS.values(), ids=QUEUE_READS.keys())
def test_queue_page_costs_the_same_for_two_cases_and_for_twelve(world: Any, frozen: Any, read: Any) -> None:
    # given a shop with two cases
    for i in range(2):
        _apply(world, world.buyer()[0], sku=f"SKU-{i}")
    few = _queue_queries(world, read)
    # when ten more arrive
    for i in range(2, 12):
        _apply(world, world.buyer()[0], sku=f"SKU-{i}")
    many = _queue_queries(world, read)
    # then the page costs the same number of queries
    assert many == few
    assert many <= 10


@pytest.mark.django_db
def test_case_page_costs_a_fixed_number_of_queries(world: Any, frozen: Any) -> None:
    # given a case with a timeline
    buyer, _ = world.buyer()
    case = _apply(world, buyer)
    cs.agree(case.pk, actor=world.merchant)
    # when the case and its timeline are read
    with CaptureQueriesContext(connection) as ctx:
        views.case_view(queries.get_case(case.pk, world.merchant), world.merchant)
        queries.events(case.pk, world.merchant)
    # then it takes a handful of queries, not one per event or item
    assert len(ctx) <= 11


def _return_path_counts(world: Any, items: int) -> dict[str, int]:
    buyer, _ = world.buyer()
    lines = [(f"SKU-{items}-{i}", 1, 1000) for i in range(items)]
    order = make_order(world, buyer, items=lines, signed_at=sh(2026, 11, 16, 10))
    case = cs.apply(
        cs.Application(
            order.order_sn, "return_refund", "quality_issue", [cs.ItemRequest(s, 1) for s, _, _ in lines]
        ),
        actor=buyer,
    )
    counts = {}
    for name, step in (
        ("agree", lambda: cs.agree(case.pk, actor=world.merchant)),
        (
            "ship_return",
            lambda: cs.ship_return(case.pk, actor=buyer, carrier="SF", tracking_no="SF1234567890123"),
        ),
        ("receive_return", lambda: cs.receive_return(case.pk, actor=world.merchant, accept=True)),
    ):
        with CaptureQueriesContext(connection) as ctx:
            step()
        counts[name] = len(ctx)
    return counts


@pytest.mark.django_db
def test_each_action_costs_the_same_whatever_the_number_of_items(world: Any, frozen: Any) -> None:
    # given applications for one item and for six different items
    # when the whole return path runs for each
    one, six = _return_path_counts(world, 1), _return_path_counts(world, 6)
    # then no step grows with the items, and each stays within a fixed budget
    assert one == six
    assert one["agree"] <= 16, one
    assert one["ship_return"] <= 16, one
    assert one["receive_return"] <= 24, one


@pytest.mark.django_db
def test_a_read_case_answers_its_parts_without_queries_and_derived_queries_stay_on_it(
    world: Any, frozen: Any
) -> None:
    # given two cases of two items each, the first one read for its page
    buyer, _ = world.buyer()
    lines = [("SKU-A", 1, 1000), ("SKU-B", 1, 1000)]
    cases = []
    for _ in range(2):
        order = make_order(world, buyer, items=lines, signed_at=sh(2026, 11, 16, 10))
        application = cs.Application(
            order.order_sn,
            "return_refund",
            "quality_issue",
            [cs.ItemRequest("SKU-A", 1), cs.ItemRequest("SKU-B", 1)],
        )
        cases.append(cs.apply(application, actor=buyer))
    case = queries.get_case(cases[0].pk, world.merchant)
    # when its parts are read, and queries are derived from them
    with CaptureQueriesContext(connection) as ctx:
        skus = [item.sku_code for item in case.items.all()]
        shop, parcels, has_refund = case.shop.code, list(case.shipments.all()), hasattr(case, "refund")
    first, only_b = case.items.order_by("-id").first(), list(case.items.filter(sku_code="SKU-B"))
    # then the parts cost no query, and what is derived reads this case's rows only
    assert len(ctx) == 0
    assert (skus, shop, parcels, has_refund) == (["SKU-A", "SKU-B"], world.shop.code, [], False)
    assert first is not None and (first.case_id, first.sku_code) == (case.pk, "SKU-B")
    assert [(item.case_id, item.sku_code) for item in only_b] == [(case.pk, "SKU-B")]
