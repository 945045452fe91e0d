"""S4 — Check stock before agreeing (库存紧张，可提前与供应商沟通), of acceptance.md, through the HTTP API: a reship
of a SKU with no available stock cannot be agreed; the refusal changes nothing but leaves a restock alert
naming the SKU; once stock is raised the alert is resolved and the agreement goes through."""

from tests.acceptance.support import problem, when
from tests.factories import sh

SKU = "MUG-BLUE"


def _signed_order_with_empty_stock(merchant, buyer_id: str, frozen) -> None:
    frozen.at(sh(2026, 11, 10, 9))
    merchant.ok(
        merchant.post("/skus", {"sku": SKU, "name": "蓝色马克杯", "price_fen": 3900, "stock": 0}), 201
    )
    merchant.ok(
        merchant.post(
            "/orders",
            {
                "order_sn": "PDD-S4-0001",
                "buyer_id": buyer_id,
                "receiver": {
                    "name": "李四",
                    "phone": "13900001234",
                    "address": "北京市海淀区中关村大街 1 号",
                },
                "items": [{"sku": SKU, "qty": 2, "unit_price_fen": 3900}],
                "freight_fen": 0,
                "paid_fen": 7800,
                "paid_at": sh(2026, 11, 14, 20).isoformat(),
                "shipped_at": sh(2026, 11, 15, 9).isoformat(),
                "carrier": "SF",
                "tracking_no": "SF1234567890123",
                "signed_at": sh(2026, 11, 16, 10).isoformat(),
            },
        ),
        201,
    )


def _everything(merchant, b, case_id: int) -> dict:
    """What a refused request must leave as it was: the case, its timeline, the chat and the stock."""
    return {
        "case": merchant.ok(merchant.get(f"/after-sales/{case_id}")),
        "events": merchant.ok(merchant.get(f"/after-sales/{case_id}/events"))["items"],
        "merchant_chat": merchant.ok(merchant.get("/orders/PDD-S4-0001/messages"))["items"],
        "buyer_chat": b.ok(b.get("/orders/PDD-S4-0001/messages"))["items"],
        "sku": merchant.ok(merchant.get(f"/skus/{SKU}")),
    }


def test_s04_check_stock_before_agreeing(api, world, frozen):
    # given a buyer's reship application for a mug whose available stock is 0
    buyer, buyer_token = world.buyer("buyer-mug")
    merchant, b = api(world.merchant_token), api(buyer_token)
    _signed_order_with_empty_stock(merchant, buyer.id, frozen)
    frozen.at(sh(2026, 11, 17, 9))
    case = b.ok(
        b.post(
            "/after-sales",
            {
                "order_sn": "PDD-S4-0001",
                "type": "reship",
                "reason_code": "damaged",
                "items": [{"sku": SKU, "qty": 1}],
            },
        ),
        201,
    )
    assert case["state"] == "pending_merchant"
    case_id = case["id"]
    before = _everything(merchant, b, case_id)
    assert merchant.ok(merchant.get("/shipping"))["restock_alerts"] == []

    # when the merchant agrees
    frozen.at(sh(2026, 11, 17, 10))
    refused = merchant.post(f"/after-sales/{case_id}/agree", version=case["version"])

    # then the agreement is refused with insufficient_stock, naming the SKU and the numbers
    body = problem(refused, 422, "insufficient_stock")
    assert body["sku"] == SKU
    assert body["available"] == 0
    assert body["needed"] == 1
    # and nothing changed: the case, its timeline, the chat on both sides and the stock
    assert _everything(merchant, b, case_id) == before
    # and a restock alert names the SKU
    alerts = merchant.ok(merchant.get("/shipping"))["restock_alerts"]
    assert len(alerts) == 1
    assert alerts[0]["sku"] == SKU
    assert alerts[0]["needed"] == 1
    assert alerts[0]["available"] == 0
    assert alerts[0]["case_id"] == case_id
    assert when(alerts[0]["created_at"]) == sh(2026, 11, 17, 10)

    # when the merchant raises the stock
    frozen.at(sh(2026, 11, 17, 14))
    sku = merchant.ok(merchant.patch(f"/skus/{SKU}", {"stock_delta": 5}))
    # then the alert is resolved
    assert (sku["stock"], sku["reserved"], sku["available"]) == (5, 0, 5)
    assert merchant.ok(merchant.get("/shipping"))["restock_alerts"] == []

    # when the merchant agrees again, with the same version as before
    frozen.at(sh(2026, 11, 17, 15))
    case = merchant.ok(merchant.post(f"/after-sales/{case_id}/agree", version=case["version"]))
    # then it succeeds: one unit is reserved and the reship waits to be shipped
    assert case["state"] == "awaiting_shipment"
    assert when(case["deadline_at"]) == sh(2026, 11, 19, 15)
    sku = merchant.ok(merchant.get(f"/skus/{SKU}"))
    assert (sku["stock"], sku["reserved"], sku["available"]) == (5, 1, 4)
    buyer_cards = [
        m["card"]["type"] for m in b.ok(b.get("/orders/PDD-S4-0001/messages"))["items"] if m["card"]
    ]
    assert buyer_cards == ["reship_in_progress"]
    events = merchant.ok(merchant.get(f"/after-sales/{case_id}/events"))["items"]
    assert [e["action"] for e in events] == ["apply", "agree"]
    shipping = merchant.ok(merchant.get("/shipping"))
    assert [row["case_id"] for row in shipping["items"] if row["kind"] == "case"] == [case_id]


def test_s04_shortage_with_an_idempotency_key_still_leaves_the_alert(api, world, frozen):
    # given a reship application for a SKU with nothing available
    buyer, buyer_token = world.buyer("buyer-mug-retry")
    merchant, b = api(world.merchant_token), api(buyer_token)
    _signed_order_with_empty_stock(merchant, buyer.id, frozen)
    frozen.at(sh(2026, 11, 17, 9))
    case = b.ok(
        b.post(
            "/after-sales",
            {
                "order_sn": "PDD-S4-0001",
                "type": "reship",
                "reason_code": "damaged",
                "items": [{"sku": SKU, "qty": 2}],
            },
        ),
        201,
    )

    # when the merchant agrees with an Idempotency-Key
    refused = merchant.post(f"/after-sales/{case['id']}/agree", key="agree-mug-1")

    # then it is refused, the case has not moved, and the alert for 2 units stands
    assert problem(refused, 422, "insufficient_stock")["needed"] == 2
    assert merchant.ok(merchant.get(f"/after-sales/{case['id']}"))["state"] == "pending_merchant"
    alerts = merchant.ok(merchant.get("/shipping"))["restock_alerts"]
    assert [(a["sku"], a["needed"], a["available"]) for a in alerts] == [(SKU, 2, 0)]


def test_s04_raising_stock_below_the_shortage_keeps_the_agreement_refused(api, world, frozen):
    # given a refused agreement for 2 units of a SKU with 0 available
    buyer, buyer_token = world.buyer("buyer-mug-two")
    merchant, b = api(world.merchant_token), api(buyer_token)
    _signed_order_with_empty_stock(merchant, buyer.id, frozen)
    frozen.at(sh(2026, 11, 17, 9))
    case = b.ok(
        b.post(
            "/after-sales",
            {
                "order_sn": "PDD-S4-0001",
                "type": "reship",
                "reason_code": "damaged",
                "items": [{"sku": SKU, "qty": 2}],
            },
        ),
        201,
    )
    problem(merchant.post(f"/after-sales/{case['id']}/agree"), 422, "insufficient_stock")

    # when only 1 unit arrives
    merchant.ok(merchant.patch(f"/skus/{SKU}", {"stock": 1}))
    # then the alert for 2 units stands, since 1 does not cover it
    alerts = merchant.ok(merchant.get("/shipping"))["restock_alerts"]
    assert [(a["sku"], a["needed"], a["available"]) for a in alerts] == [(SKU, 2, 0)]

    # when the merchant tries again
    refused = merchant.post(f"/after-sales/{case['id']}/agree")

    # then it is still refused with the new numbers, and nothing is reserved
    body = problem(refused, 422, "insufficient_stock")
    assert (body["available"], body["needed"]) == (1, 2)
    sku = merchant.ok(merchant.get(f"/skus/{SKU}"))
    assert (sku["stock"], sku["reserved"], sku["available"]) == (1, 0, 1)
    assert merchant.ok(merchant.get(f"/after-sales/{case['id']}"))["state"] == "pending_merchant"
    alerts = merchant.ok(merchant.get("/shipping"))["restock_alerts"]
    assert (SKU, 2, 1) in [(a["sku"], a["needed"], a["available"]) for a in alerts]

    # when the second unit arrives
    merchant.ok(merchant.patch(f"/skus/{SKU}", {"stock_delta": 1}))
    # then every alert is resolved and the agreement goes through
    assert merchant.ok(merchant.get("/shipping"))["restock_alerts"] == []
    assert merchant.ok(merchant.post(f"/after-sales/{case['id']}/agree"))["state"] == "awaiting_shipment"
