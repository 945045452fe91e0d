from tests.factories import make_order, sh


def test_refund_only_agree_then_settle_over_http(api, world, frozen):
    # given a signed order and a buyer's refund-only application
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    b, m = api(buyer_token), api(world.merchant_token)
    case = b.ok(
        b.post(
            "/after-sales",
            {
                "order_sn": order.order_sn,
                "type": "refund_only",
                "reason_code": "damaged",
                "items": [{"sku": "PHONE-CASE", "qty": 1}],
            },
        ),
        201,
    )
    assert case["state"] == "pending_merchant"
    # when the merchant agrees and the worker passes
    agreed = m.ok(m.post(f"/after-sales/{case['id']}/agree", version=case["version"]))
    from aftersales.timers.worker import run_due

    run_due()
    # then the refund has settled
    final = m.ok(m.get(f"/after-sales/{case['id']}"))
    assert agreed["state"] == "refunding"
    assert final["state"] == "refunded"
    assert final["refund"]["amount_fen"] == 1990
