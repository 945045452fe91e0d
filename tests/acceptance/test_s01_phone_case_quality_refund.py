"""S1 — The phone case (the seed's 案例分析), of acceptance.md: from the buyer's return_refund application for a
quality problem to ``refunded``, with the return freight borne by the merchant and the whole timeline.

(The chat, the satisfaction-survey card and the rating of this story are covered elsewhere.)"""

from tests.acceptance.support import problem, run_worker, timeline, when
from tests.factories import sh

SKU = "PHONE-CASE"
RETURN_ADDRESS = {"name": "售后部 王五", "phone": "13800001111", "address": "杭州市余杭区仓前街道 1 号 3 楼"}
PHOTOS = ["https://img.example.com/case-crack-1.jpg", "https://img.example.com/case-crack-2.jpg"]


def _signed_phone_case_order(merchant, buyer_id: str, order_sn: str, frozen) -> dict:
    """One phone case (19.90 元, freight 0), paid, shipped with ZTO and signed for on 11-15 at 10:00."""
    frozen.at(sh(2026, 11, 12, 20))
    merchant.ok(
        merchant.post(
            "/orders",
            {
                "order_sn": order_sn,
                "buyer_id": buyer_id,
                "receiver": {
                    "name": "张三",
                    "phone": "13812345678",
                    "address": "上海市浦东新区世纪大道 100 号",
                },
                "items": [{"sku": SKU, "qty": 1, "unit_price_fen": 1990}],
                "freight_fen": 0,
                "paid_fen": 1990,
                "paid_at": sh(2026, 11, 12, 20).isoformat(),
            },
        ),
        201,
    )
    frozen.at(sh(2026, 11, 13, 9))
    merchant.ok(merchant.post(f"/orders/{order_sn}/ship", {"carrier": "ZTO", "tracking_no": "773312345678"}))
    frozen.at(sh(2026, 11, 15, 10))
    return merchant.ok(merchant.post(f"/orders/{order_sn}/sign"))


def test_s01_phone_case_quality_refund(api, world, frozen):
    # given a shop selling phone cases, and a buyer's order of one case signed for on 11-15 (Sunday) at 10:00
    merchant = api(world.merchant_token)
    buyer, buyer_token = world.buyer("buyer-phone-case")
    other_buyer, other_token = world.buyer("buyer-other")
    b = api(buyer_token)
    frozen.at(sh(2026, 11, 1, 9))
    merchant.ok(
        merchant.post(
            "/skus", {"sku": SKU, "name": "手机壳", "price_fen": 1990, "stock": 50, "no_reason_return": True}
        ),
        201,
    )
    order = _signed_phone_case_order(merchant, buyer.id, "PDD-S1-0001", frozen)
    assert when(order["signed_at"]) == sh(2026, 11, 15, 10)
    assert order["after_sales_entry"]["open"] is True
    assert when(order["after_sales_entry"]["window_ends_at"]) == sh(2026, 11, 23, 0)
    _signed_phone_case_order(merchant, other_buyer.id, "PDD-S1-0002", frozen)

    # when, on day 3 after signing, the buyer applies for a return and refund for a quality problem with photos
    applied_at = frozen.at(sh(2026, 11, 18, 10))
    case = b.ok(
        b.post(
            "/after-sales",
            {
                "order_sn": "PDD-S1-0001",
                "type": "return_refund",
                "reason_code": "quality_issue",
                "items": [{"sku": SKU, "qty": 1}],
                "description": "手机壳边缘开裂",
                "evidence": PHOTOS,
            },
        ),
        201,
    )
    # then the case waits on the merchant for 48 hours; the merchant is at fault and bears the return freight
    assert case["state"] == "pending_merchant"
    assert case["type"] == "return_refund"
    assert case["waiting_on"] == "merchant"
    assert when(case["deadline_at"]) == sh(2026, 11, 20, 10)
    assert case["reason_code"] == "quality_issue"
    assert case["merchant_fault"] is True
    assert case["return_freight_payer"] == "merchant"
    assert case["refund_fen"] == 1990
    assert case["evidence"] == PHOTOS
    assert case["refund"] is None
    assert case["initiated_by"] == "buyer"
    assert case["allowed_actions"] == ["cancel"]
    case_id = case["id"]

    # given a second application in the same shop, made later
    frozen.at(sh(2026, 11, 18, 10, 5))
    later = api(other_token).post(
        "/after-sales",
        {
            "order_sn": "PDD-S1-0002",
            "type": "refund_only",
            "reason_code": "damaged",
            "items": [{"sku": SKU, "qty": 1}],
        },
    )
    later_id = api(other_token).ok(later, 201)["id"]

    # when the merchant opens the queue of cases waiting on them
    queue = merchant.ok(merchant.get("/after-sales", waiting_on="merchant"))
    # then the phone case is at the top, with its deadline for the countdown
    assert [c["id"] for c in queue["items"]] == [case_id, later_id]
    top = queue["items"][0]
    assert when(top["deadline_at"]) == sh(2026, 11, 20, 10)
    assert top["allowed_actions"] == ["agree", "reject"]

    # when the merchant agrees and gives a return address
    agreed_at = frozen.at(sh(2026, 11, 18, 10, 30))
    case = merchant.ok(
        merchant.post(
            f"/after-sales/{case_id}/agree", {"return_address": RETURN_ADDRESS}, version=case["version"]
        )
    )
    # then the buyer has 7 days to ship the goods back to that address
    assert case["state"] == "awaiting_return"
    assert case["waiting_on"] == "buyer"
    assert case["return_address"] == RETURN_ADDRESS
    assert when(case["deadline_at"]) == sh(2026, 11, 25, 10, 30)
    assert b.ok(b.get(f"/after-sales/{case_id}"))["allowed_actions"] == ["ship_return", "cancel"]

    # when the buyer ships it back with a valid ZTO number and pays 8.00 元 return freight
    shipped_at = frozen.at(sh(2026, 11, 18, 16))
    case = b.ok(
        b.post(
            f"/after-sales/{case_id}/ship_return",
            {"carrier": "ZTO", "tracking_no": "780012345678901", "freight_fen": 800},
            version=case["version"],
        )
    )
    # then the parcel is on its way to the merchant
    assert case["state"] == "return_in_transit"
    assert case["waiting_on"] == "merchant"
    assert case["return_shipment"]["carrier"] == "ZTO"
    assert case["return_shipment"]["tracking_no"] == "780012345678901"
    assert case["return_shipment"]["freight_fen"] == 800
    assert when(case["return_shipment"]["shipped_at"]) == shipped_at
    assert when(case["deadline_at"]) == sh(2026, 11, 28, 16)

    # when the merchant confirms receipt on Friday 11-20
    received_at = frozen.at(sh(2026, 11, 20, 9, 30))
    case = merchant.ok(
        merchant.post(f"/after-sales/{case_id}/receive_return", {"accept": True}, version=case["version"])
    )
    # then the refund is 19.90 + 8.00 元, due by the end of the third business day (Mon 23, Tue 24, Wed 25)
    assert case["state"] == "refunding"
    assert case["waiting_on"] == "payment"
    assert case["refund_fen"] == 1990
    assert case["freight_refund_fen"] == 800
    refund = case["refund"]
    assert refund["status"] == "pending"
    assert refund["goods_fen"] == 1990
    assert refund["freight_fen"] == 800
    assert refund["amount_fen"] == 1990 + 800
    assert when(refund["initiated_at"]) == received_at
    assert when(refund["due_by"]) == sh(2026, 11, 26, 0)
    assert refund["due_by"] == "2026-11-26T00:00:00+08:00"
    assert refund["settled_at"] is None
    assert case["deadline_at"] == refund["due_by"]

    # when the worker runs a minute later
    settled_at = frozen.at(sh(2026, 11, 20, 9, 31))
    run_worker()
    # then the refund has settled and the case is final
    case = b.ok(b.get(f"/after-sales/{case_id}"))
    assert case["state"] == "refunded"
    assert case["waiting_on"] is None
    assert case["deadline_at"] is None
    assert case["pdd_status"] == 10
    assert case["refund"]["status"] == "succeeded"
    assert case["refund"]["amount_fen"] == 2790
    assert when(case["refund"]["settled_at"]) == settled_at
    assert when(case["refund"]["due_by"]) == sh(2026, 11, 26, 0)
    # nothing moves it any more (the buyer may only rate the service)
    assert set(case["allowed_actions"]) <= {"evaluate"}
    assert merchant.ok(merchant.get(f"/after-sales/{case_id}"))["allowed_actions"] == []
    problem(
        merchant.post(f"/after-sales/{case_id}/receive_return", {"accept": True}), 409, "action_not_allowed"
    )

    # and the timeline lists every step, with who did it and when, in the shop's time zone
    events = merchant.ok(merchant.get(f"/after-sales/{case_id}/events"))
    assert timeline(events) == [
        ("apply", "buyer", "buyer-phone-case", None, "pending_merchant"),
        ("agree", "merchant", "客服小王", "pending_merchant", "awaiting_return"),
        ("ship_return", "buyer", "buyer-phone-case", "awaiting_return", "return_in_transit"),
        ("receive_return:accept", "merchant", "客服小王", "return_in_transit", "refunding"),
        ("settle", "payment", "simulated", "refunding", "refunded"),
    ]
    items = events["items"]
    assert [e["seq"] for e in items] == [1, 2, 3, 4, 5]
    assert [when(e["at"]) for e in items] == [applied_at, agreed_at, shipped_at, received_at, settled_at]
    assert all(e["at"].endswith("+08:00") for e in items)
    assert items[0]["data"]["reason_code"] == "quality_issue"
    assert items[0]["data"]["refund_fen"] == 1990
    assert items[0]["data"]["evidence"] == PHOTOS
    assert items[1]["data"]["return_address"] == RETURN_ADDRESS
    assert items[2]["data"] == {"carrier": "ZTO", "tracking_no": "780012345678901", "freight_fen": 800}
    assert items[3]["data"]["accept"] is True
    assert items[4]["data"]["amount_fen"] == 2790
    assert b.ok(b.get(f"/after-sales/{case_id}/events")) == events

    # and the order shows one application used, two left
    entry = b.ok(b.get("/orders/PDD-S1-0001"))["after_sales_entry"]
    assert entry["applications_used"] == 1
    assert entry["applications_left"] == 2
