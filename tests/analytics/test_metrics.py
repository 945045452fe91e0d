"""The metrics of domain.md section 10 over a small history built through the services with a frozen clock;
every expected number is worked out by hand in the comments."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import pytest

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.chat.services import post_message
from aftersales.core.actors import Actor
from aftersales.orders.models import Order
from aftersales.reviews.services import evaluate
from aftersales.timers.worker import run_due
from tests.factories import World, make_order, make_world, sh
from tests.reviews.support import refund_only

RANGE = {"from": "2026-11-10", "to": "2026-11-12"}


@dataclass
class History:
    world: World
    other_shop: World
    cases: dict[str, AfterSale]


def _order(world: World, buyer: Actor, sku: str, *args: int) -> Order:
    return make_order(world, buyer, items=[(sku, 1, 1990)], paid_at=sh(*args))


def _reload(case: AfterSale) -> AfterSale:
    return AfterSale.objects.get(pk=case.pk)


@pytest.fixture
def history(world: World, frozen: Any) -> History:
    """Eight orders paid from 11-10 to 11-12 (Shanghai), two before, one just after; six cases."""
    m, p = world.merchant, world.platform
    b = {name: world.buyer(name)[0] for name in ("b0", "b1", "b2", "b3", "b4", "b5", "b6")}
    frozen.at(sh(2026, 11, 1, 8))
    o_pre = _order(world, b["b6"], "CASE-A", 2026, 11, 3, 9)
    o0 = _order(world, b["b0"], "CASE-A", 2026, 11, 5, 9)
    o1 = _order(world, b["b1"], "CASE-A", 2026, 11, 10, 7, 30)  # 11-09 23:30 UTC: day 11-10 in Shanghai
    o2 = _order(world, b["b2"], "CASE-A", 2026, 11, 10, 10)
    o3 = _order(world, b["b3"], "CASE-B", 2026, 11, 11, 9)
    _order(world, b["b4"], "CASE-B", 2026, 11, 11, 10)
    o5 = _order(world, b["b5"], "CASE-C", 2026, 11, 12, 9)
    for hour, minute in ((10, 0), (11, 0), (23, 30)):
        _order(world, b["b4"], "CASE-B", 2026, 11, 12, hour, minute)
    _order(world, b["b4"], "CASE-B", 2026, 11, 13, 0, 30)  # 11-12 16:30 UTC: day 11-13 in Shanghai
    other = make_world("other-shop")
    _order(other, other.buyer()[0], "CASE-A", 2026, 11, 11, 12)

    # C0: opened before the range, refunded inside it, rated 4
    frozen.at(sh(2026, 11, 9, 10))
    c0 = refund_only(b["b6"], o_pre, sku="CASE-A")
    frozen.at(sh(2026, 11, 10, 8))
    services.agree(c0.pk, actor=m)
    run_due()
    frozen.at(sh(2026, 11, 10, 9))
    evaluate(c0.pk, actor=b["b6"], score=4)
    # C4: on an order paid before the range; the buyer cancels an hour later, unanswered
    frozen.at(sh(2026, 11, 10, 10))
    c4 = refund_only(b["b0"], o0, sku="CASE-A")
    frozen.at(sh(2026, 11, 10, 11))
    services.cancel(c4.pk, actor=b["b0"])
    # C1: the merchant agrees after an hour; refunded at once; rated 5
    frozen.at(sh(2026, 11, 11, 10))
    c1 = refund_only(b["b1"], o1, sku="CASE-A")
    frozen.at(sh(2026, 11, 11, 10, 10))
    post_message(actor=b["b1"], order_sn=o1.order_sn, text="请尽快处理")
    frozen.at(sh(2026, 11, 11, 11))
    services.agree(c1.pk, actor=m)
    run_due()
    # C2: answered in chat after 30 minutes, rejected, escalated, refunded by the platform; rated 2
    frozen.at(sh(2026, 11, 11, 12))
    c2 = refund_only(b["b2"], o2, sku="CASE-A", reason="quality_issue")
    evaluate(c1.pk, actor=b["b1"], score=5)
    frozen.at(sh(2026, 11, 11, 12, 30))
    post_message(actor=m, order_sn=o2.order_sn, text="您好，请提供照片")
    frozen.at(sh(2026, 11, 11, 14))
    services.reject(c2.pk, actor=m, reason="照片看不出质量问题")
    frozen.at(sh(2026, 11, 11, 15))
    services.escalate(c2.pk, actor=b["b2"], reason="确实有质量问题")
    frozen.at(sh(2026, 11, 12, 10))
    services.decide(c2.pk, actor=p, decision="refund", note="支持买家")
    run_due()
    frozen.at(sh(2026, 11, 12, 11))
    evaluate(c2.pk, actor=b["b2"], score=2)
    # C6: the merchant proposes a reship; the buyer declines two hours later
    frozen.at(sh(2026, 11, 12, 14))
    c6 = services.propose_reship(services.Proposal(o3.order_sn, [("CASE-B", 1)], "missing_item"), actor=m)
    frozen.at(sh(2026, 11, 12, 16))
    services.decline(c6.pk, actor=b["b3"])
    # C3: answered in chat after two hours but never acted on; the timer auto-agrees; rated 1 after the range
    frozen.at(sh(2026, 11, 12, 22))
    c3 = refund_only(b["b5"], o5, sku="CASE-C", reason="not_received")
    frozen.at(sh(2026, 11, 13, 0))
    post_message(actor=m, order_sn=o5.order_sn, text="正在核实物流")
    frozen.at(sh(2026, 11, 14, 22))
    run_due()
    frozen.at(sh(2026, 11, 15, 10))
    evaluate(c3.pk, actor=b["b5"], score=1)

    cases = {"c0": c0, "c1": c1, "c2": c2, "c3": c3, "c4": c4, "c6": c6}
    cases = {name: _reload(case) for name, case in cases.items()}
    assert {name: c.state for name, c in cases.items()} == {
        "c0": "refunded", "c1": "refunded", "c2": "refunded", "c3": "refunded", "c4": "closed", "c6": "closed",
    }  # fmt: skip
    return History(world=world, other_shop=other, cases=cases)


def _get(client: Any, token: str, path: str = "/api/v1/metrics", **params: str) -> Any:
    return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {token}")


EXPECTED = {
    "from": "2026-11-10",
    "to": "2026-11-12",
    "orders": 8,  # paid 11-10: O1 (07:30 Shanghai), O2; 11-11: O3, O4; 11-12: O5 and three more
    "cases": 5,  # opened in the range: C4, C1, C2, C6, C3 (C0 was opened on 11-09)
    "after_sales_rate": 0.625,  # orders with a case opened: O0, O1, O2, O3, O5 → 5 / 8
    "refund_rate": 0.375,  # refunds settled in the range: C0 (O_pre), C1 (O1), C2 (O2) → 3 / 8; C3 settled 11-14
    "intervention_rate": 0.125,  # C2 escalated on 11-11 → 1 / 8
    "dispute_refund_rate": 0.125,  # the platform decided C2's refund on 11-12 → 1 / 8
    # first answers: C2 chat after 1800 s, C1 agreed after 3600 s, C3 chat after 7200 s; C4 never answered,
    # C6 was the merchant's own → [1800, 3600, 7200]: p50 = 2nd, p90 = 3rd (⌈0.9 · 3⌉ = 3)
    "first_response_p50_s": 3600,
    "first_response_p90_s": 7200,
    # C4 3600, C1 3600, C6 7200, C2 79200 (22 h), C3 172800 (48 h) → the 3rd of 5 = 7200
    "resolution_p50_s": 7200,
    # merchant deadlines: C4, C1, C2 found done (obsolete), C3 fired → 3 / 4
    "deadlines_met_rate": 0.75,
    # ratings of the range's cases: C1 5, C2 2, C3 1 → 8 / 3 = 2.666… → 2.67 (C0's rating is not of the range)
    "rating_avg": 2.67,
    "rating_count": 3,
    # ratings in the 90 days up to 11-13 00:00: C0 4, C1 5, C2 2 → (10 · 4.0 + 11) / (10 + 3) = 51 / 13 → 3.923
    "service_score": 3.923,
    "top_reasons": [
        {"reason_code": "damaged", "count": 2},
        {"reason_code": "missing_item", "count": 1},
        {"reason_code": "not_received", "count": 1},
        {"reason_code": "quality_issue", "count": 1},
    ],
    "top_skus": [{"sku": "CASE-A", "count": 3}, {"sku": "CASE-B", "count": 1}, {"sku": "CASE-C", "count": 1}],
    "per_day": [
        {"date": "2026-11-10", "orders": 2, "cases": 1, "refunds": 1, "interventions": 0},
        {"date": "2026-11-11", "orders": 2, "cases": 2, "refunds": 1, "interventions": 1},
        {"date": "2026-11-12", "orders": 4, "cases": 2, "refunds": 1, "interventions": 0},
    ],
}


def test_metrics_of_a_merchant_are_computed_from_the_history(client, history):
    # given the history above
    # when the merchant asks for 11-10 to 11-12
    response = _get(client, history.world.merchant_token, **RANGE)

    # then every number is the hand-computed one, for their shop only
    assert response.status_code == 200, response.content
    assert response.json() == {**EXPECTED, "shop": history.world.shop.code}


def test_metrics_for_the_platform_cover_one_shop_or_all(client, history):
    # given the history, and another shop with one order paid on 11-11
    token = history.world.platform_token

    # when the platform asks for the first shop, then for all shops
    one = _get(client, token, shop=history.world.shop.code, **RANGE).json()
    every = _get(client, token, **RANGE).json()

    # then one shop's numbers are the merchant's
    assert one == {**EXPECTED, "shop": history.world.shop.code}
    # and all shops add the other shop's order: 9 orders, so 5 / 9 = 0.5556, 3 / 9 = 0.3333, 1 / 9 = 0.1111
    assert every["shop"] is None
    assert (every["orders"], every["cases"]) == (9, 5)
    assert (every["after_sales_rate"], every["refund_rate"], every["intervention_rate"]) == (
        0.5556,
        0.3333,
        0.1111,
    )
    assert every["per_day"][1] == {
        "date": "2026-11-11",
        "orders": 3,
        "cases": 2,
        "refunds": 1,
        "interventions": 1,
    }


def test_metrics_of_a_day_without_orders_have_no_rates(client, history):
    # given the history: nothing happened on 11-16
    # when the merchant asks for that day alone
    body = _get(client, history.world.merchant_token, **{"from": "2026-11-16", "to": "2026-11-16"}).json()

    # then the counts are zero and the shares, averages and percentiles are undefined
    assert (body["orders"], body["cases"], body["rating_count"]) == (0, 0, 0)
    assert [body[k] for k in ("after_sales_rate", "refund_rate", "first_response_p50_s", "resolution_p50_s",
                              "deadlines_met_rate", "rating_avg")] == [None] * 6  # fmt: skip
    # and the score covers the 90 days up to 11-17 00:00: C0 4, C1 5, C2 2, C3 1 → (40 + 12) / 14 = 3.714
    assert body["service_score"] == 3.714
    assert body["per_day"] == [
        {"date": "2026-11-16", "orders": 0, "cases": 0, "refunds": 0, "interventions": 0}
    ]


def test_metrics_csv_has_a_row_per_day_and_a_total_row(client, history):
    # given the history
    # when the merchant downloads the CSV of the range
    response = _get(client, history.world.merchant_token, "/api/v1/metrics.csv", **RANGE)

    # then it is a CSV attachment
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"metrics-{history.world.shop.code}-2026-11-10-2026-11-12.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    # with the same numbers: per day (orders, cases, orders with a case, refunds, escalations, platform
    # refunds, and those as shares of the day's orders), then the range's totals and the case measures
    assert rows == [
        ["date", "orders", "cases", "orders_with_cases", "refunds", "interventions", "dispute_refunds",
         "after_sales_rate", "refund_rate", "intervention_rate", "dispute_refund_rate", "first_response_p50_s",
         "first_response_p90_s", "resolution_p50_s", "deadlines_met_rate", "rating_avg", "rating_count",
         "service_score"],
        ["2026-11-10", "2", "1", "1", "1", "0", "0", "0.5", "0.5", "0.0", "0.0", "", "", "", "", "", "", ""],
        ["2026-11-11", "2", "2", "2", "1", "1", "0", "1.0", "0.5", "0.5", "0.0", "", "", "", "", "", "", ""],
        ["2026-11-12", "4", "2", "2", "1", "0", "1", "0.5", "0.25", "0.0", "0.25", "", "", "", "", "", "", ""],
        ["total", "8", "5", "5", "3", "1", "1", "0.625", "0.375", "0.125", "0.125", "3600", "7200", "7200",
         "0.75", "2.67", "3", "3.923"],
    ]  # fmt: skip


def test_metrics_count_days_in_the_shop_time_zone(client, history):
    # given O1 paid at 07:30 on 11-10 in Shanghai (23:30 on 11-09 in UTC)
    # when the merchant asks for 11-09 alone, then for 11-10 alone
    day_before = _get(
        client, history.world.merchant_token, **{"from": "2026-11-09", "to": "2026-11-09"}
    ).json()
    first_day = _get(
        client, history.world.merchant_token, **{"from": "2026-11-10", "to": "2026-11-10"}
    ).json()

    # then O1 belongs to 11-10: none paid on 11-09 (C0 opened that day), O1 and O2 on 11-10
    assert (day_before["orders"], day_before["cases"]) == (0, 1)
    assert (first_day["orders"], first_day["cases"]) == (2, 1)


def test_metrics_are_refused_to_buyers_and_to_other_shops(client, history):
    # given a buyer, the merchant, and the other shop's code
    _, buyer_token = history.world.buyer()

    # when the buyer asks, and the merchant asks about the other shop
    as_buyer = _get(client, buyer_token, **RANGE)
    other = _get(client, history.world.merchant_token, shop=history.other_shop.shop.code, **RANGE)
    unknown = _get(client, history.world.platform_token, shop="no-such-shop", **RANGE)

    # then the buyer is forbidden and the shops are not found
    assert (as_buyer.status_code, as_buyer.json()["code"]) == (403, "forbidden")
    assert (other.status_code, other.json()["code"]) == (404, "not_found")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
