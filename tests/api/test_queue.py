"""GET /after-sales: the queue each caller sees, its order, its filters and its cursor pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from aftersales.cases import services
from aftersales.reviews import services as reviews
from tests.factories import RETURN_ADDRESS, make_order, make_sku, make_world, sh
from tests.reviews.support import refund_only, refunded

FAR_FUTURE = datetime.fromisoformat("9999-12-31T00:00:00+00:00")


@dataclass
class Queue:
    """Seven cases in one shop (six of one buyer, one of another) and one case in another shop."""

    shop: str
    other_shop: str
    m: Any
    b: Any
    b2: Any
    p: Any
    other_m: Any
    ids: dict[str, int] = field(default_factory=dict)
    orders: dict[str, str] = field(default_factory=dict)


def _apply(client: Any, order_sn: str, sku: str, case_type: str = "refund_only") -> dict[str, Any]:
    body = {
        "order_sn": order_sn,
        "type": case_type,
        "reason_code": "quality_issue",
        "items": [{"sku": sku, "qty": 1}],
    }
    return client.ok(client.post("/after-sales", body), 201)


@pytest.fixture
def queue(api, world, frozen) -> Queue:
    buyer, b_token = world.buyer()
    buyer2, b2_token = world.buyer()
    other_world = make_world()
    other_buyer, other_b_token = other_world.buyer()
    q = Queue(
        shop=world.shop.code,
        other_shop=other_world.shop.code,
        m=api(world.merchant_token),
        b=api(b_token),
        b2=api(b2_token),
        p=api(world.platform_token),
        other_m=api(other_world.merchant_token),
    )

    def order(name: str, who: Any, w: Any = world) -> str:
        sku = f"SKU-{name}"
        sn = make_order(w, who, items=[(sku, 1, 1990)], signed_at=sh(2026, 11, 16, 10)).order_sn
        q.orders[name] = sn
        return sn

    # 10:00: two refunds and returns waiting on the merchant, with the same deadline
    q.ids["refund"] = _apply(q.b, order("refund", buyer), "SKU-refund")["id"]
    q.ids["return"] = _apply(q.b, order("return", buyer), "SKU-return", "return_refund")["id"]
    # 11:00: one the merchant rejected
    frozen.advance(hours=1)
    rejected = _apply(q.b, order("rejected", buyer), "SKU-rejected")
    q.m.ok(q.m.post(f"/after-sales/{rejected['id']}/reject", {"reason": "请补充照片"}))
    q.ids["rejected"] = rejected["id"]
    # 12:00: a return the merchant agreed to, one the buyer cancelled, one of another buyer
    frozen.advance(hours=1)
    agreed = _apply(q.b, order("agreed", buyer), "SKU-agreed", "return_refund")
    q.m.ok(q.m.post(f"/after-sales/{agreed['id']}/agree"))
    q.ids["agreed"] = agreed["id"]
    cancelled = _apply(q.b, order("cancelled", buyer), "SKU-cancelled")
    q.b.ok(q.b.post(f"/after-sales/{cancelled['id']}/cancel"))
    q.ids["cancelled"] = cancelled["id"]
    q.ids["buyer2"] = _apply(q.b2, order("buyer2", buyer2), "SKU-buyer2")["id"]
    # 13:00: an exchange, and a case in another shop
    frozen.advance(hours=1)
    q.ids["exchange"] = _apply(q.b, order("exchange", buyer), "SKU-exchange", "exchange")["id"]
    other_api = api(other_b_token)
    q.ids["other"] = _apply(other_api, order("other", other_buyer, other_world), "SKU-other")["id"]
    return q


def _at(value: str | None) -> datetime:
    return datetime.fromisoformat(value) if value else FAR_FUTURE


def _all_pages(client: Any, limit: int, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every case, page after page; also how many pages it took."""
    items: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        page = client.ok(client.get("/after-sales", limit=limit, cursor=cursor, **params))
        pages += 1
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 50


def _ids(page: dict[str, Any]) -> set[int]:
    return {c["id"] for c in page["items"]}


def test_pages_cover_every_case_once_sorted_by_deadline(queue):
    # given the merchant's seven cases, two of them with the same deadline and one with none
    everything = queue.m.ok(queue.m.get("/after-sales", limit=100))
    # when the merchant pages through three at a time
    paged, pages = _all_pages(queue.m, 3)
    # then no case is missing or repeated, the order is the deadline's (ties by id, none last), and the
    # last page has no cursor
    ids = [c["id"] for c in paged]
    assert pages == 3
    assert len(ids) == len(set(ids)) == 7
    assert set(ids) == _ids(everything) == {v for k, v in queue.ids.items() if k != "other"}
    assert ids == [c["id"] for c in everything["items"]]
    assert ids == [c["id"] for c in sorted(paged, key=lambda c: (_at(c["deadline_at"]), c["id"]))]
    assert paged[-1]["id"] == queue.ids["cancelled"]
    assert paged[-1]["deadline_at"] is None
    assert everything["next_cursor"] is None


def test_default_sort_is_deadline_soonest_first(queue):
    # given
    # when
    page = queue.m.ok(queue.m.get("/after-sales", limit=2))
    # then the two cases due first (same deadline, lower id first) come first, and there is more
    assert [c["id"] for c in page["items"]] == sorted([queue.ids["refund"], queue.ids["return"]])
    assert page["next_cursor"] is not None


@pytest.mark.parametrize("limit", [1, 2, 7])
def test_last_page_has_null_cursor_whatever_the_page_size(queue, limit):
    # given
    # when
    paged, pages = _all_pages(queue.m, limit)
    # then
    assert len(paged) == len({c["id"] for c in paged}) == 7
    assert pages == -(-7 // limit)


def test_sort_newest_first_pages_by_creation(queue):
    # given
    # when the merchant pages newest first
    paged, _ = _all_pages(queue.m, 2, sort="-created")
    # then newest first, ties by id descending, each case once
    ids = [c["id"] for c in paged]
    assert len(ids) == len(set(ids)) == 7
    assert ids == [
        c["id"] for c in sorted(paged, key=lambda c: (_at(c["created_at"]), c["id"]), reverse=True)
    ]
    assert ids[0] == queue.ids["exchange"]
    assert set(ids[-2:]) == {queue.ids["refund"], queue.ids["return"]}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"state": "rejected"}, {"rejected"}),
        ({"state": "pending_merchant"}, {"refund", "return", "buyer2", "exchange"}),
        ({"type": "return_refund"}, {"return", "agreed"}),
        ({"state": "pending_merchant", "type": "exchange"}, {"exchange"}),
        ({"waiting_on": "buyer"}, {"rejected", "agreed"}),
        ({"waiting_on": "merchant"}, {"refund", "return", "buyer2", "exchange"}),
        ({"state": "closed"}, {"cancelled"}),
    ],
)
def test_filters_narrow_the_queue(queue, params, expected):
    # given
    # when
    page = queue.m.ok(queue.m.get("/after-sales", **params))
    # then
    assert _ids(page) == {queue.ids[name] for name in expected}
    for case in page["items"]:
        for key, value in params.items():
            assert case[key] == value


def test_order_sn_filter_returns_the_cases_of_that_order(queue):
    # given
    # when
    page = queue.m.ok(queue.m.get("/after-sales", order_sn=queue.orders["agreed"]))
    # then
    assert _ids(page) == {queue.ids["agreed"]}


def test_overdue_filter_splits_by_deadline_passed(queue, frozen):
    # given the clock past the 48-hour deadline of the first two cases only
    frozen.at(sh(2026, 11, 20, 10, 30))
    # when
    overdue = queue.m.ok(queue.m.get("/after-sales", overdue="true"))
    on_time = queue.m.ok(queue.m.get("/after-sales", overdue="false"))
    # then a case without a deadline is never overdue
    assert _ids(overdue) == {queue.ids["refund"], queue.ids["return"]}
    assert _ids(on_time) == {queue.ids[n] for n in ("rejected", "agreed", "cancelled", "buyer2", "exchange")}


def test_merchant_sees_only_their_shop(queue):
    # given
    # when each merchant lists, and one asks for the other's shop
    mine = queue.m.ok(queue.m.get("/after-sales", limit=100))
    theirs = queue.other_m.ok(queue.other_m.get("/after-sales", limit=100))
    widened = queue.m.ok(queue.m.get("/after-sales", shop=queue.other_shop))
    # then
    assert {c["shop"] for c in mine["items"]} == {queue.shop}
    assert queue.ids["other"] not in _ids(mine)
    assert _ids(theirs) == {queue.ids["other"]}
    assert widened["items"] == []


def test_buyer_sees_only_their_cases(queue):
    # given
    # when
    first = queue.b.ok(queue.b.get("/after-sales", limit=100))
    second = queue.b2.ok(queue.b2.get("/after-sales", limit=100))
    # then
    assert _ids(first) == {
        queue.ids[n] for n in ("refund", "return", "rejected", "agreed", "cancelled", "exchange")
    }
    assert _ids(second) == {queue.ids["buyer2"]}


def test_platform_sees_every_shop_and_filters_by_shop(queue):
    # given
    # when
    everything, _ = _all_pages(queue.p, 3)
    one_shop = queue.p.ok(queue.p.get("/after-sales", shop=queue.shop, limit=100))
    other_shop = queue.p.ok(queue.p.get("/after-sales", shop=queue.other_shop))
    # then
    assert {c["id"] for c in everything} == set(queue.ids.values())
    assert {c["shop"] for c in everything} == {queue.shop, queue.other_shop}
    assert _ids(one_shop) == set(queue.ids.values()) - {queue.ids["other"]}
    assert _ids(other_shop) == {queue.ids["other"]}


def test_allowed_actions_depend_on_the_caller(queue):
    # given a case waiting on the merchant, and one rejected
    pending, rejected = queue.ids["refund"], queue.ids["rejected"]

    def actions(client: Any, case_id: int) -> list[str]:
        listed = {c["id"]: c for c in client.ok(client.get("/after-sales", limit=100))["items"]}
        one = client.ok(client.get(f"/after-sales/{case_id}"))
        assert listed[case_id]["allowed_actions"] == one["allowed_actions"]
        return list(one["allowed_actions"])

    # when each role looks at them
    # then each sees what it may do now
    assert sorted(actions(queue.m, pending)) == ["agree", "reject"]
    assert actions(queue.b, pending) == ["cancel"]
    assert actions(queue.p, pending) == ["escalate"]
    assert actions(queue.m, rejected) == []
    assert sorted(actions(queue.b, rejected)) == ["cancel", "escalate", "reapply"]
    assert actions(queue.p, rejected) == ["escalate"]


@pytest.mark.parametrize(
    "params",
    [
        {"state": "nonsense"},
        {"type": "nonsense"},
        {"waiting_on": "nobody"},
        {"sort": "created"},
        {"limit": 0},
    ],
)
def test_unknown_filter_value_is_validation_error(queue, params):
    # given
    # when
    response = queue.m.get("/after-sales", **params)
    # then
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"


def test_each_case_of_a_page_reads_as_its_own_page_shows_it(api, world, frozen):
    """The queue's page is read as values, a case's own page as a model with its parts: both are one view."""
    # given cases of every part a view shows, of one buyer in one shop and of another buyer in another shop:
    buyer, b_token = world.buyer()
    signed = sh(2026, 11, 16, 10)
    # a refund its buyer rated, and one not rated yet (``evaluate`` is the buyer's to take)
    rated = refunded(world, buyer, make_order(world, buyer, signed_at=signed))
    reviews.evaluate(rated.pk, actor=buyer, score=4, tags=["fast_refund"], comment="快")
    refunded(world, buyer, make_order(world, buyer, signed_at=signed))
    # a return whose parcel has had no pickup scan for three days, on the address the merchant gave
    order = make_order(world, buyer, signed_at=signed)
    parcel = services.apply(
        services.Application(order.order_sn, "return_refund", "quality_issue", [services.ItemRequest("PHONE-CASE", 1)],
                             description="屏幕有划痕", evidence=["https://img.example.com/a.jpg"]),
        actor=buyer,
    )  # fmt: skip
    services.agree(parcel.pk, actor=world.merchant, return_address=RETURN_ADDRESS)
    services.ship_return(parcel.pk, actor=buyer, carrier="SF", tracking_no="SF1234567890123", freight_fen=800)
    # an exchange whose replacement is on its way
    make_sku(world, "SHIRT-M", price_fen=9900, stock=5)
    make_sku(world, "SHIRT-L", price_fen=9900, stock=5)
    shirts = make_order(world, buyer, items=[("SHIRT-M", 1, 9900)], signed_at=signed)
    swap = services.apply(
        services.Application(shirts.order_sn, "exchange", "size_unsuitable", [services.ItemRequest("SHIRT-M", 1)],
                             exchange_sku="SHIRT-L"),
        actor=buyer,
    )  # fmt: skip
    services.agree(swap.pk, actor=world.merchant, return_address=RETURN_ADDRESS)
    services.ship_return(swap.pk, actor=buyer, carrier="YTO", tracking_no="YT1234567890123")
    services.receive_return(swap.pk, actor=world.merchant, accept=True)
    services.ship(swap.pk, actor=world.merchant, carrier="ZTO", tracking_no="773312345679")
    # (three of them name the same SKU: rule 8's count; four applications in three days) and a case of
    # another buyer in another shop
    other = make_world()
    other_buyer, _ = other.buyer()
    refund_only(other_buyer, make_order(other, other_buyer, signed_at=signed))
    frozen.advance(hours=49)  # the return parcel's 48 hours without a pickup scan are past

    # when the merchant, the buyer and the platform each read their queue, and each case on its own
    callers = {"merchant": api(world.merchant_token), "buyer": api(b_token), "platform": api(world.platform_token),
               "platform in English": api(world.platform_token, "en")}  # fmt: skip
    for caller, client in callers.items():
        page = client.ok(client.get("/after-sales", limit=100))
        # then every case of the page is exactly what its own read shows, flags and allowed actions too
        assert len(page["items"]) == (5 if caller.startswith("platform") else 4)
        for item in page["items"]:
            assert item == client.ok(client.get(f"/after-sales/{item['id']}")), (caller, item["id"])
        shown = {item["id"]: item for item in page["items"]}
        # and the page holds every part: a refund, both parcels, a rating's absence, flags of every kind
        assert shown[rated.pk]["refund"]["status"] == "succeeded"
        assert shown[parcel.pk]["return_shipment"]["tracking_no"] == "SF1234567890123"
        assert shown[swap.pk]["replacement_shipment"]["tracking_no"] == "773312345679"
        assert shown[parcel.pk]["evidence"] == ["https://img.example.com/a.jpg"]
        if caller == "buyer":
            assert "evaluate" not in shown[rated.pk]["allowed_actions"]
            assert sum("evaluate" in item["allowed_actions"] for item in page["items"]) == 1
        else:
            codes = {f["code"] for item in page["items"] for f in item["risk_flags"]}
            assert {"return_not_picked_up", "repeated_sku", "many_cases"} <= codes, codes
