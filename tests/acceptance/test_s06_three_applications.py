"""S6 — Three applications per order, of acceptance.md: an application counts whatever its outcome (cancelled,
rejected and lapsed, refunded); the fourth on the same order is refused with ``max_applications_reached``
and the order's after-sales entry shows ``open: false``."""

from tests.acceptance.support import problem, run_worker, timeline, when
from tests.factories import make_order, sh

SKU = "PHONE-CASE"


def test_s06_three_applications(api, world, frozen):
    # given an order of three phone cases (3 × 19.90 元) signed for on 11-15 at 10:00
    buyer, token = world.buyer()
    order = make_order(world, buyer, items=[(SKU, 3, 1990)], signed_at=sh(2026, 11, 15, 10))
    sn = order.order_sn
    b, m = api(token), api(world.merchant_token)

    def entry() -> dict:
        return b.ok(b.get(f"/orders/{sn}"))["after_sales_entry"]

    def apply(qty: int, case_type: str = "refund_only", reason: str = "damaged") -> dict:
        body = {"order_sn": sn, "type": case_type, "reason_code": reason, "items": [{"sku": SKU, "qty": qty}]}
        return b.ok(b.post("/after-sales", body), 201)

    assert entry() == {
        "open": True,
        "closed_reason": None,
        "applications_used": 0,
        "applications_left": 3,
        "window_ends_at": "2026-11-23T00:00:00+08:00",
    }

    # when the buyer applies and then cancels
    frozen.at(sh(2026, 11, 16, 9))
    first = apply(3, "return_refund", "no_longer_needed")
    frozen.at(sh(2026, 11, 16, 9, 10))
    first = b.ok(b.post(f"/after-sales/{first['id']}/cancel"))
    # then the case is closed, and it still counts
    assert (first["state"], first["close_reason"]) == ("closed", "buyer_cancelled")
    assert (entry()["applications_used"], entry()["applications_left"]) == (1, 2)

    # when the buyer applies again, the merchant rejects, and the buyer lets the 72 hours lapse
    frozen.at(sh(2026, 11, 16, 9, 20))
    second = apply(1)
    frozen.at(sh(2026, 11, 16, 11))
    second = m.ok(m.post(f"/after-sales/{second['id']}/reject", {"reason": "照片看不出破损"}))
    assert second["state"] == "rejected"
    assert when(second["deadline_at"]) == sh(2026, 11, 19, 11)
    assert (entry()["applications_used"], entry()["applications_left"]) == (2, 1)
    frozen.at(sh(2026, 11, 19, 11))
    run_worker()
    # then the system closed it as overdue, and it still counts
    second = b.ok(b.get(f"/after-sales/{second['id']}"))
    assert (second["state"], second["close_reason"]) == ("closed", "buyer_overdue")
    assert timeline(b.ok(b.get(f"/after-sales/{second['id']}/events")))[-1] == (
        "expire",
        "system",
        "system",
        "rejected",
        "closed",
    )
    assert (entry()["applications_used"], entry()["applications_left"]) == (2, 1)

    # when the buyer applies a third time for one of the three cases, and the merchant agrees
    frozen.at(sh(2026, 11, 19, 12))
    third = apply(1)
    assert third["refund_fen"] == 1990
    frozen.at(sh(2026, 11, 19, 13))
    third = m.ok(m.post(f"/after-sales/{third['id']}/agree"))
    frozen.at(sh(2026, 11, 19, 13, 1))
    run_worker()
    # then the buyer got the part of the items back
    third = b.ok(b.get(f"/after-sales/{third['id']}"))
    assert third["state"] == "refunded"
    assert third["items"] == [{"sku": SKU, "qty": 1}]
    assert third["refund"]["amount_fen"] == 1990

    # when the buyer applies a fourth time on the same order
    frozen.at(sh(2026, 11, 19, 14))
    body = {
        "order_sn": sn,
        "type": "refund_only",
        "reason_code": "damaged",
        "items": [{"sku": SKU, "qty": 1}],
    }
    refused = problem(b.post("/after-sales", body), 422, "max_applications_reached")

    # then it is refused, naming the count, and nothing is stored
    assert refused["applications_used"] == 3
    assert refused["max_applications"] == 3
    assert "3" in refused["detail"]
    cases = b.ok(b.get("/after-sales", order_sn=sn, sort="-created"))["items"]
    assert [c["id"] for c in cases] == [third["id"], second["id"], first["id"]]
    # and the order's entry is closed, with no applications left
    assert entry() == {
        "open": False,
        "closed_reason": "max_applications_reached",
        "applications_used": 3,
        "applications_left": 0,
        "window_ends_at": "2026-11-23T00:00:00+08:00",
    }
    assert m.ok(m.get(f"/orders/{sn}"))["after_sales_entry"]["open"] is False
