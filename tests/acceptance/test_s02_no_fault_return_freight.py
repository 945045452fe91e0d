"""S2 — No-fault return pays its own freight, of acceptance.md: the phone-case order returned because the buyer
no longer wants it refunds the goods only; with return-freight insurance the insurer bears the freight."""

import pytest

from tests.acceptance.support import run_worker, when
from tests.factories import make_order, sh

SKU = "PHONE-CASE"
RETURN_ADDRESS = {"name": "售后部", "phone": "13800001111", "address": "杭州市余杭区仓前街道 1 号"}


@pytest.mark.parametrize(
    ("insured", "payer"),
    [pytest.param(False, "buyer", id="no-insurance"), pytest.param(True, "insurer", id="freight-insurance")],
)
def test_s02_no_fault_return_freight(api, world, frozen, insured, payer):
    # given the phone-case order (19.90 元, freight 0) signed for on 11-15, with or without freight insurance
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 15, 10), insured=insured)
    b, m = api(buyer_token), api(world.merchant_token)
    assert b.ok(b.get(f"/orders/{order.order_sn}"))["return_freight_insured"] is insured

    # when the buyer applies for a return because they no longer want it (不想要了)
    frozen.at(sh(2026, 11, 18, 10))
    case = b.ok(
        b.post(
            "/after-sales",
            {
                "order_sn": order.order_sn,
                "type": "return_refund",
                "reason_code": "no_longer_needed",
                "items": [{"sku": SKU, "qty": 1}],
            },
        ),
        201,
    )
    # then it is nobody's fault, and the return freight is the buyer's (or the insurer's)
    assert case["merchant_fault"] is False
    assert case["return_freight_payer"] == payer

    # when the merchant agrees, the buyer ships it back paying 8.00 元, and the merchant confirms receipt
    frozen.at(sh(2026, 11, 18, 11))
    case = m.ok(m.post(f"/after-sales/{case['id']}/agree", {"return_address": RETURN_ADDRESS}))
    frozen.at(sh(2026, 11, 18, 15))
    case = b.ok(
        b.post(
            f"/after-sales/{case['id']}/ship_return",
            {"carrier": "YTO", "tracking_no": "YT1234567890123", "freight_fen": 800},
        )
    )
    assert case["return_shipment"]["freight_fen"] == 800
    frozen.at(sh(2026, 11, 20, 9))
    case = m.ok(m.post(f"/after-sales/{case['id']}/receive_return", {"accept": True}))
    assert case["state"] == "refunding"
    assert case["refund"]["amount_fen"] == 1990

    # and the refund settles
    frozen.at(sh(2026, 11, 20, 9, 1))
    run_worker()

    # then the buyer got 1990 fen only: no freight comes back from the merchant
    case = b.ok(b.get(f"/after-sales/{case['id']}"))
    assert case["state"] == "refunded"
    assert case["return_freight_payer"] == payer
    assert case["refund_fen"] == 1990
    assert case["freight_refund_fen"] == 0
    assert case["refund"]["status"] == "succeeded"
    assert case["refund"]["goods_fen"] == 1990
    assert case["refund"]["freight_fen"] == 0
    assert case["refund"]["amount_fen"] == 1990
    assert when(case["refund"]["due_by"]) == sh(2026, 11, 26, 0)
