"""S7 — Entry closed for abuse, of acceptance.md: a fourth application for the same SKU within 30 days is refused
with ``entry_closed`` (suspected_abuse), leaves a risk record for the platform, and only the platform can
reopen the entry."""

from aftersales.risk.models import RiskRecord
from tests.acceptance.support import problem
from tests.factories import make_order, make_world, sh

SKU = "PHONE-CASE"


def _apply(client, order_sn: str):
    body = {
        "order_sn": order_sn,
        "type": "refund_only",
        "reason_code": "damaged",
        "items": [{"sku": SKU, "qty": 1}],
    }
    return client.post("/after-sales", body)


def test_s07_entry_closed_for_abuse(api, world, frozen):
    # given a buyer who opened 3 cases for the phone case on 3 different orders within the last 30 days
    buyer, token = world.buyer("buyer-repeat")
    b, m, p = api(token), api(world.merchant_token), api(world.platform_token)
    for signed in (sh(2026, 10, 25, 10), sh(2026, 11, 2, 10), sh(2026, 11, 10, 10)):
        earlier = make_order(world, buyer, signed_at=signed)
        frozen.at(signed.replace(day=signed.day + 1))
        b.ok(_apply(b, earlier.order_sn), 201)
    order = make_order(world, buyer, signed_at=sh(2026, 11, 17, 10))
    sn = order.order_sn

    # when the buyer applies a fourth time, on another order, on 11-18
    frozen.at(sh(2026, 11, 18, 10))
    refused = problem(_apply(b, sn), 422, "entry_closed")

    # then it is refused as suspected abuse, no case is created, and the order's entry is closed
    assert refused["entry_closed_reason"] == "suspected_abuse"
    assert b.ok(b.get("/after-sales", order_sn=sn))["items"] == []
    entry = b.ok(b.get(f"/orders/{sn}"))["after_sales_entry"]
    assert (entry["open"], entry["closed_reason"], entry["applications_used"]) == (
        False,
        "suspected_abuse",
        0,
    )
    assert m.ok(m.get(f"/orders/{sn}"))["after_sales_entry"]["closed_reason"] == "suspected_abuse"
    # and a risk record waits for the platform, naming the buyer, the SKU and the numbers
    records = list(RiskRecord.objects.filter(order__order_sn=sn).values())
    assert len(records) == 1
    record = records[0]
    assert record["kind"] == "suspected_abuse"
    assert record["sku_code"] == SKU
    assert record["buyer_id"] == buyer.buyer_id
    assert record["details"] == {"recent_cases": 3, "days": 30, "limit": 3}
    assert record["resolved_at"] is None

    # when the buyer tries again, or tries to reopen the entry themself
    frozen.at(sh(2026, 11, 18, 11))
    still = problem(_apply(b, sn), 422, "entry_closed")
    assert still["entry_closed_reason"] == "suspected_abuse"
    problem(b.post(f"/orders/{sn}/reopen-entry", {"note": "我没有恶意"}), 403, "forbidden")
    problem(m.post(f"/orders/{sn}/reopen-entry", {"note": "老客户"}), 403, "forbidden")
    # then the entry stays closed
    assert b.ok(b.get(f"/orders/{sn}"))["after_sales_entry"]["open"] is False

    # when platform staff reopen it
    frozen.at(sh(2026, 11, 18, 14))
    reopened = p.ok(p.post(f"/orders/{sn}/reopen-entry", {"note": "核实为真实质量问题"}))
    # then the entry is open again and the risk record is resolved by them
    assert reopened["after_sales_entry"]["open"] is True
    assert reopened["after_sales_entry"]["closed_reason"] is None
    record = RiskRecord.objects.get(order__order_sn=sn)
    assert record.resolved_by == "平台小李"
    assert record.resolution_note == "核实为真实质量问题"
    assert record.resolved_at == sh(2026, 11, 18, 14)

    # and the buyer can apply again
    frozen.at(sh(2026, 11, 18, 15))
    case = b.ok(_apply(b, sn), 201)
    assert case["state"] == "pending_merchant"
    assert b.ok(b.get(f"/orders/{sn}"))["after_sales_entry"]["applications_used"] == 1


def test_s07_cases_older_than_30_days_do_not_count(api, world, frozen):
    # given a buyer with 3 cases for the phone case, the first of them 31 days before the next application
    buyer, token = world.buyer()
    b = api(token)
    for signed in (sh(2026, 10, 17, 10), sh(2026, 11, 2, 10), sh(2026, 11, 10, 10)):
        earlier = make_order(world, buyer, signed_at=signed)
        frozen.at(signed.replace(day=signed.day + 1))
        b.ok(_apply(b, earlier.order_sn), 201)
    order = make_order(world, buyer, signed_at=sh(2026, 11, 17, 10))

    # when the buyer applies on 11-18, 31 days after the first case
    frozen.at(sh(2026, 11, 18, 10))
    response = _apply(b, order.order_sn)

    # then only 2 cases fall in the 30 days, and the application is accepted
    assert b.ok(response, 201)["state"] == "pending_merchant"
    assert not RiskRecord.objects.filter(order__order_sn=order.order_sn).exists()


def test_s07_same_sku_code_in_another_shop_is_another_item(api, world, frozen):
    # given a buyer with 3 cases for the phone case of another shop that happens to use the same SKU code
    other = make_world()
    buyer, token = world.buyer()
    b = api(token)
    for signed in (sh(2026, 10, 25, 10), sh(2026, 11, 2, 10), sh(2026, 11, 10, 10)):
        earlier = make_order(other, buyer, signed_at=signed)
        frozen.at(signed.replace(day=signed.day + 1))
        b.ok(_apply(b, earlier.order_sn), 201)
    order = make_order(world, buyer, signed_at=sh(2026, 11, 17, 10))

    # when the buyer applies for this shop's phone case for the first time
    frozen.at(sh(2026, 11, 18, 10))
    response = _apply(b, order.order_sn)

    # then it is accepted: the other shop's cases are about another item
    assert b.ok(response, 201)["state"] == "pending_merchant"
    assert not RiskRecord.objects.filter(order__order_sn=order.order_sn).exists()
