"""S5 — The 7-day window, of acceptance.md: signed for on 11-15 at 10:00, an application is accepted until
11-22 24:00 and refused with ``window_expired`` from 11-23 00:00; an order not yet shipped always gets an
immediate refund_only (极速退款), outbound freight included."""

from tests.acceptance.support import problem, run_worker, timeline, when
from tests.factories import make_order, sh

SKU = "PHONE-CASE"


def _application(order_sn: str, case_type: str = "return_refund", reason: str = "no_longer_needed") -> dict:
    return {"order_sn": order_sn, "type": case_type, "reason_code": reason, "items": [{"sku": SKU, "qty": 1}]}


def test_s05_last_minute_of_the_window_is_accepted(api, world, frozen):
    # given an order signed for on 11-15 at 10:00
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 15, 10))
    b = api(token)
    entry = b.ok(b.get(f"/orders/{order.order_sn}"))["after_sales_entry"]
    assert when(entry["window_ends_at"]) == sh(2026, 11, 23, 0)

    # when the buyer applies on 11-22 at 23:59
    frozen.at(sh(2026, 11, 22, 23, 59))
    case = b.ok(b.post("/after-sales", _application(order.order_sn)), 201)

    # then the application is accepted
    assert case["state"] == "pending_merchant"
    assert when(case["created_at"]) == sh(2026, 11, 22, 23, 59)


def test_s05_first_minute_after_the_window_is_refused(api, world, frozen):
    # given an order signed for on 11-15 at 10:00
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 15, 10))
    b = api(token)

    # when the buyer applies on 11-23 at 00:00, from a client that asks for no language in particular
    frozen.at(sh(2026, 11, 23, 0))
    del b.http.headers["Accept-Language"]
    refused = problem(b.post("/after-sales", _application(order.order_sn)), 422, "window_expired")

    # then the refusal names the signing time and the last moment (11-22 24:00), the Chinese way by default
    assert "11月15日 10:00" in refused["detail"]
    assert "11月22日 24:00" in refused["detail"]
    assert when(refused["signed_at"]) == sh(2026, 11, 15, 10)
    assert when(refused["window_ends_at"]) == sh(2026, 11, 23, 0)
    # and nothing is stored: no case, no application used, and the entry shows why it is closed
    assert b.ok(b.get("/after-sales", order_sn=order.order_sn))["items"] == []
    entry = b.ok(b.get(f"/orders/{order.order_sn}"))["after_sales_entry"]
    assert entry["open"] is False
    assert entry["closed_reason"] == "window_expired"
    assert entry["applications_used"] == 0


def test_s05_window_message_in_english(api, world, frozen):
    # given an order signed for on 11-15 at 10:00, and a buyer whose client asks for English
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 15, 10))
    b = api(token, lang="en")

    # when the buyer applies on 11-23 at 00:00
    frozen.at(sh(2026, 11, 23, 0))
    refused = problem(b.post("/after-sales", _application(order.order_sn)), 422, "window_expired")

    # then the message is in English and names both moments
    assert refused["title"] == "After-sales period ended"
    assert (
        refused["detail"] == "Signed for on Nov 15 10:00; after-sales could be requested until Nov 22 24:00."
    )


def test_s05_unshipped_order_gets_an_immediate_refund_with_freight(api, world, frozen):
    # given an order paid on 10-01 (19.90 元 + 6.00 元 freight) that the shop never shipped
    buyer, token = world.buyer()
    order = make_order(world, buyer, shipped=False, freight_fen=600, paid_at=sh(2026, 10, 1, 9))
    b = api(token)
    assert b.ok(b.get(f"/orders/{order.order_sn}"))["shipped_at"] is None

    # when, weeks later (Wednesday 11-18), the buyer asks for a refund only
    applied_at = frozen.at(sh(2026, 11, 18, 10))
    case = b.ok(
        b.post("/after-sales", _application(order.order_sn, "refund_only", "ordered_by_mistake")), 201
    )

    # then the refund starts at once, with nothing for the merchant to verify, outbound freight included
    assert case["state"] == "refunding"
    assert case["waiting_on"] == "payment"
    assert case["refund_fen"] == 1990
    assert case["freight_refund_fen"] == 600
    assert case["refund"]["status"] == "pending"
    assert case["refund"]["amount_fen"] == 2590
    assert when(case["refund"]["initiated_at"]) == applied_at
    assert when(case["refund"]["due_by"]) == sh(2026, 11, 24, 0)

    # when the worker runs
    frozen.advance(minutes=1)
    run_worker()

    # then the buyer has all 25.90 元 back, and the merchant never had to act
    case = b.ok(b.get(f"/after-sales/{case['id']}"))
    assert case["state"] == "refunded"
    assert case["refund"]["amount_fen"] == 2590
    assert case["refund"]["status"] == "succeeded"
    events = b.ok(b.get(f"/after-sales/{case['id']}/events"))
    assert timeline(events) == [
        ("apply_instant_refund", "buyer", buyer.id, None, "refunding"),
        ("settle", "payment", "simulated", "refunding", "refunded"),
    ]
