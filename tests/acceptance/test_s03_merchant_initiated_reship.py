"""S3 — Merchant-initiated reship (商家帮买家申请补寄), of acceptance.md, through the HTTP API: the merchant proposes
a reship of the missing item from the chat, the buyer confirms it, the merchant agrees (stock is reserved),
ships with ZTO, the carrier reports delivery, the buyer confirms; the buyer's applications are untouched.
And the other way out: the buyer declines, and no stock is ever reserved."""

from aftersales.catalog.models import StockReservation
from tests.acceptance.support import problem, run_worker, timeline, when
from tests.factories import sh

SKU = "SOCKS-3PACK"
ADDRESS = {"name": "张三", "phone": "13812345678", "address": "上海市浦东新区世纪大道 100 号 2 栋 301"}
TRACKING_NO = "773398765432"


def _three_item_order(merchant, buyer_id: str, order_sn: str, frozen) -> None:
    """An order of 3 pairs of socks, signed for on 11-16 at 10:00; the SKU has 20 in stock."""
    frozen.at(sh(2026, 11, 10, 9))
    merchant.ok(
        merchant.post("/skus", {"sku": SKU, "name": "棉袜", "price_fen": 990, "stock": 20}),
        201,
    )
    merchant.ok(
        merchant.post(
            "/orders",
            {
                "order_sn": order_sn,
                "buyer_id": buyer_id,
                "receiver": ADDRESS,
                "items": [{"sku": SKU, "qty": 3, "unit_price_fen": 990}],
                "freight_fen": 0,
                "paid_fen": 2970,
                "paid_at": sh(2026, 11, 14, 20).isoformat(),
                "shipped_at": sh(2026, 11, 15, 9).isoformat(),
                "carrier": "ZTO",
                "tracking_no": "773312345678",
                "signed_at": sh(2026, 11, 16, 10).isoformat(),
            },
        ),
        201,
    )


def _cards(client, order_sn: str) -> list[dict]:
    messages = client.ok(client.get(f"/orders/{order_sn}/messages"))["items"]
    return [m["card"] | {"to": m["to"]} for m in messages if m["card"] is not None]


def _propose(merchant, order_sn: str) -> dict:
    return merchant.ok(
        merchant.post(
            "/after-sales",
            {
                "order_sn": order_sn,
                "type": "reship",
                "items": [{"sku": SKU, "qty": 1}],
                "reason_code": "missing_item",
                "address": ADDRESS,
                "description": "少发一双",
            },
        ),
        201,
    )


def test_s03_merchant_initiated_reship(api, world, frozen):
    # given an order of 3 items that arrived with 1 missing, and the buyer telling the merchant in the chat
    buyer, buyer_token = world.buyer("buyer-socks")
    merchant, b = api(world.merchant_token), api(buyer_token)
    platform = api(world.platform_token)
    _three_item_order(merchant, buyer.id, "PDD-S3-0001", frozen)
    frozen.at(sh(2026, 11, 17, 9))
    b.ok(b.post("/orders/PDD-S3-0001/messages", {"text": "收到的袜子少了一双"}), 201)
    stock_before = merchant.ok(merchant.get(f"/skus/{SKU}"))
    assert (stock_before["stock"], stock_before["reserved"], stock_before["available"]) == (20, 0, 20)

    # when the merchant proposes a reship of 1 item, reason 少件, to the buyer's address
    proposed_at = frozen.at(sh(2026, 11, 17, 9, 10))
    case = _propose(merchant, "PDD-S3-0001")

    # then the case waits 72 hours on the buyer's confirmation, initiated by the merchant
    assert case["type"] == "reship"
    assert case["state"] == "awaiting_buyer_confirmation"
    assert case["waiting_on"] == "buyer"
    assert case["initiated_by"] == "merchant"
    assert case["reason_code"] == "missing_item"
    assert case["merchant_fault"] is True
    assert case["items"] == [{"sku": SKU, "qty": 1}]
    assert when(case["deadline_at"]) == sh(2026, 11, 20, 9, 10)
    assert case["allowed_actions"] == []
    case_id = case["id"]
    # and the buyer gets a reship_request card with confirm / decline buttons, which the merchant does not see
    buyer_cards = _cards(b, "PDD-S3-0001")
    assert [c["type"] for c in buyer_cards] == ["reship_request"]
    request = buyer_cards[0]
    assert request["to"] == "buyer"
    assert request["case_id"] == case_id
    assert [button["action"] for button in request["data"]["buttons"]] == ["confirm", "decline"]
    assert request["data"]["items"] == [{"sku": SKU, "qty": 1}]
    assert request["data"]["reason_code"] == "missing_item"
    assert request["data"]["address"] == ADDRESS
    assert when(request["data"]["deadline_at"]) == sh(2026, 11, 20, 9, 10)
    assert _cards(merchant, "PDD-S3-0001") == []
    as_buyer = b.ok(b.get(f"/after-sales/{case_id}"))
    assert as_buyer["allowed_actions"] == ["confirm", "decline", "cancel"]

    # when the buyer confirms
    frozen.at(sh(2026, 11, 17, 9, 30))
    case = b.ok(b.post(f"/after-sales/{case_id}/confirm", version=as_buyer["version"]))
    # then the case waits on the merchant, who gets a reship_request_confirmed card linking to the case
    assert case["state"] == "pending_merchant"
    assert case["waiting_on"] == "merchant"
    assert when(case["deadline_at"]) == sh(2026, 11, 19, 9, 30)
    merchant_cards = _cards(merchant, "PDD-S3-0001")
    assert [c["type"] for c in merchant_cards] == ["reship_request_confirmed"]
    confirmed = merchant_cards[0]
    assert confirmed["to"] == "merchant"
    assert confirmed["case_id"] == case_id
    assert confirmed["data"]["case_id"] == case_id
    assert confirmed["data"]["href"] == f"/workbench/cases/{case_id}/"
    assert [c["type"] for c in _cards(b, "PDD-S3-0001")] == ["reship_request"]

    # when the merchant agrees
    frozen.at(sh(2026, 11, 17, 10))
    case = merchant.ok(merchant.post(f"/after-sales/{case_id}/agree", version=case["version"]))
    # then one unit is reserved: available stock drops by 1, and the buyer gets reship_in_progress
    assert case["state"] == "awaiting_shipment"
    assert when(case["deadline_at"]) == sh(2026, 11, 19, 10)
    sku = merchant.ok(merchant.get(f"/skus/{SKU}"))
    assert (sku["stock"], sku["reserved"], sku["available"]) == (20, 1, 19)
    in_progress = [c for c in _cards(b, "PDD-S3-0001") if c["type"] == "reship_in_progress"]
    assert len(in_progress) == 1
    assert in_progress[0]["to"] == "buyer"
    assert in_progress[0]["data"]["items"] == [{"sku": SKU, "qty": 1}]
    # and the reship is at the top of the merchant's shipping list
    shipping = merchant.ok(merchant.get("/shipping"))
    assert shipping["items"][0]["case_id"] == case_id
    assert shipping["items"][0]["items"] == [{"sku": SKU, "qty": 1}]

    # when the merchant ships it with ZTO and a valid tracking number
    shipped_at = frozen.at(sh(2026, 11, 17, 16))
    case = merchant.ok(
        merchant.post(
            f"/after-sales/{case_id}/ship",
            {"carrier": "ZTO", "tracking_no": TRACKING_NO},
            version=case["version"],
        )
    )
    # then the reserved unit leaves the stock, and the buyer gets a tracking_number card with carrier and number
    assert case["state"] == "replacement_in_transit"
    assert case["waiting_on"] == "buyer"
    assert case["replacement_shipment"]["carrier"] == "ZTO"
    assert case["replacement_shipment"]["tracking_no"] == TRACKING_NO
    assert when(case["replacement_shipment"]["shipped_at"]) == shipped_at
    assert when(case["deadline_at"]) == sh(2026, 11, 27, 16)
    sku = merchant.ok(merchant.get(f"/skus/{SKU}"))
    assert (sku["stock"], sku["reserved"], sku["available"]) == (19, 0, 19)
    tracking = [c for c in _cards(b, "PDD-S3-0001") if c["type"] == "tracking_number"]
    assert len(tracking) == 1
    assert tracking[0]["to"] == "buyer"
    assert tracking[0]["data"]["carrier"] == "ZTO"
    assert tracking[0]["data"]["tracking_no"] == TRACKING_NO
    assert tracking[0]["data"]["carrier_name"]

    # when the carrier reports pickup and delivery
    frozen.at(sh(2026, 11, 17, 18))
    picked = platform.post(
        "/logistics/events",
        {
            "carrier": "ZTO",
            "tracking_no": TRACKING_NO,
            "status": "picked_up",
            "at": sh(2026, 11, 17, 18).isoformat(),
        },
    )
    assert platform.ok(picked, 202)["cases"] == [case_id]
    frozen.at(sh(2026, 11, 18, 15))
    delivered = platform.post(
        "/logistics/events",
        {
            "carrier": "ZTO",
            "tracking_no": TRACKING_NO,
            "status": "delivered",
            "at": sh(2026, 11, 18, 15).isoformat(),
        },
    )
    assert platform.ok(delivered, 202) == {"shipments": 1, "cases": [case_id]}
    # then the parcel shows it
    case = b.ok(b.get(f"/after-sales/{case_id}"))
    assert when(case["replacement_shipment"]["picked_up_at"]) == sh(2026, 11, 17, 18)
    assert when(case["replacement_shipment"]["delivered_at"]) == sh(2026, 11, 18, 15)
    assert case["state"] == "replacement_in_transit"
    assert case["allowed_actions"] == ["confirm_received"]

    # when the buyer confirms receipt
    frozen.at(sh(2026, 11, 18, 20))
    case = b.ok(b.post(f"/after-sales/{case_id}/confirm_received", version=case["version"]))
    # then the case is completed, and the buyer is asked to rate the service
    assert case["state"] == "completed"
    assert case["waiting_on"] is None
    assert case["deadline_at"] is None
    assert case["refund"] is None
    assert [c["type"] for c in _cards(b, "PDD-S3-0001")] == [
        "reship_request",
        "reship_in_progress",
        "tracking_number",
        "satisfaction_survey",
    ]
    assert [c["type"] for c in _cards(merchant, "PDD-S3-0001")] == ["reship_request_confirmed"]
    # and the merchant-initiated reship did not use any of the buyer's three applications
    order = b.ok(b.get("/orders/PDD-S3-0001"))
    assert order["after_sales_entry"]["applications_used"] == 0
    assert order["after_sales_entry"]["applications_left"] == 3
    assert order["after_sales_entry"]["open"] is True
    # and the timeline names who did each step
    events = merchant.ok(merchant.get(f"/after-sales/{case_id}/events"))
    assert timeline(events) == [
        ("propose_reship", "merchant", "客服小王", None, "awaiting_buyer_confirmation"),
        ("confirm", "buyer", buyer.id, "awaiting_buyer_confirmation", "pending_merchant"),
        ("agree", "merchant", "客服小王", "pending_merchant", "awaiting_shipment"),
        ("ship", "merchant", "客服小王", "awaiting_shipment", "replacement_in_transit"),
        ("carrier_event", "platform", "平台小李", "replacement_in_transit", "replacement_in_transit"),
        ("carrier_event", "platform", "平台小李", "replacement_in_transit", "replacement_in_transit"),
        ("confirm_received", "buyer", buyer.id, "replacement_in_transit", "completed"),
    ]
    assert when(events["items"][0]["at"]) == proposed_at


def test_s03_buyer_declines_the_proposal(api, world, frozen):
    # given the merchant's reship proposal on an order of 3 items
    buyer, buyer_token = world.buyer("buyer-socks-declines")
    merchant, b = api(world.merchant_token), api(buyer_token)
    _three_item_order(merchant, buyer.id, "PDD-S3-0002", frozen)
    frozen.at(sh(2026, 11, 17, 9, 10))
    case = _propose(merchant, "PDD-S3-0002")

    # when the buyer declines it
    frozen.at(sh(2026, 11, 17, 11))
    case = b.ok(b.post(f"/after-sales/{case['id']}/decline", {"note": "已经找到了"}, version=case["version"]))

    # then the case is closed as buyer_declined, and nothing further can happen to it
    assert case["state"] == "closed"
    assert case["close_reason"] == "buyer_declined"
    assert case["deadline_at"] is None
    assert case["allowed_actions"] == []
    refused = merchant.post(f"/after-sales/{case['id']}/agree")
    assert problem(refused, 409, "action_not_allowed")["state"] == "closed"
    # and stock was never reserved
    sku = merchant.ok(merchant.get(f"/skus/{SKU}"))
    assert (sku["stock"], sku["reserved"], sku["available"]) == (20, 0, 20)
    assert not StockReservation.objects.filter(case_id=case["id"]).exists()
    # and the merchant got no card; the buyer only the proposal
    assert _cards(merchant, "PDD-S3-0002") == []
    assert [c["type"] for c in _cards(b, "PDD-S3-0002")] == ["reship_request"]
    # and the entry still has all three applications
    order = b.ok(b.get("/orders/PDD-S3-0002"))
    assert order["after_sales_entry"]["applications_used"] == 0


def test_s03_unanswered_proposal_closes_after_72_hours(api, world, frozen):
    # given the merchant's reship proposal, never answered
    buyer, buyer_token = world.buyer("buyer-socks-silent")
    merchant, b = api(world.merchant_token), api(buyer_token)
    _three_item_order(merchant, buyer.id, "PDD-S3-0003", frozen)
    frozen.at(sh(2026, 11, 17, 9, 10))
    case = _propose(merchant, "PDD-S3-0003")

    # when the timers run just before and at the 72-hour deadline
    frozen.at(sh(2026, 11, 20, 9, 9))
    run_worker()
    before = b.ok(b.get(f"/after-sales/{case['id']}"))
    frozen.at(sh(2026, 11, 20, 9, 10))
    run_worker()

    # then it closes as buyer_overdue, by the system, with no stock ever reserved
    assert before["state"] == "awaiting_buyer_confirmation"
    case = b.ok(b.get(f"/after-sales/{case['id']}"))
    assert (case["state"], case["close_reason"]) == ("closed", "buyer_overdue")
    events = merchant.ok(merchant.get(f"/after-sales/{case['id']}/events"))
    assert timeline(events)[-1] == ("expire", "system", "system", "awaiting_buyer_confirmation", "closed")
    sku = merchant.ok(merchant.get(f"/skus/{SKU}"))
    assert sku["reserved"] == 0
