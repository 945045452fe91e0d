"""S10 — The buyer does not ship the return, of acceptance.md: after ``agree`` on a return_refund, 7 days with no
``ship_return`` close the case (``buyer_overdue``); after ``ship_return``, 10 days with no merchant receipt start
the refund by itself."""

from tests.acceptance.support import run_worker, timeline, when
from tests.factories import make_order, sh

SKU = "PHONE-CASE"
RETURN_ADDRESS = {"name": "售后部 王五", "phone": "13800001111", "address": "杭州市余杭区仓前街道 1 号 3 楼"}


def _agreed_return(api, world, frozen) -> tuple[dict, dict]:
    """A return_refund for a quality problem, applied on 11-18 at 10:00 and agreed at 11:00; returns the case
    and the clients."""
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    b, m = api(token), api(world.merchant_token)
    frozen.at(sh(2026, 11, 18, 10))
    body = {"order_sn": order.order_sn, "type": "return_refund", "reason_code": "quality_issue",
            "items": [{"sku": SKU, "qty": 1}]}  # fmt: skip
    case = b.ok(b.post("/after-sales", body), 201)
    frozen.at(sh(2026, 11, 18, 11))
    case = m.ok(m.post(f"/after-sales/{case['id']}/agree", {"return_address": RETURN_ADDRESS}))
    assert case["state"] == "awaiting_return"
    assert when(case["deadline_at"]) == sh(2026, 11, 25, 11)
    return case, {"buyer": b, "merchant": m}


def test_s10_return_not_shipped_in_7_days_closes_buyer_overdue(api, world, frozen):
    # given an agreed return the buyer never ships
    case, c = _agreed_return(api, world, frozen)
    b = c["buyer"]

    # when the timers run one second before the 7 days are up
    frozen.at(sh(2026, 11, 25, 10, 59, 59))
    early = run_worker()
    # then nothing happens yet
    assert early["fired"] == 0
    assert b.ok(b.get(f"/after-sales/{case['id']}"))["state"] == "awaiting_return"

    # when the 7 days are up and the timers run
    frozen.at(sh(2026, 11, 25, 11))
    report = run_worker()

    # then the case is closed for the buyer's delay, with no refund
    assert report["by_kind"]["fired"] == {"return_not_shipped": 1}
    after = b.ok(b.get(f"/after-sales/{case['id']}"))
    assert after["state"] == "closed"
    assert after["close_reason"] == "buyer_overdue"
    assert after["pdd_status"] == 12
    assert after["deadline_at"] is None
    assert after["refund"] is None
    assert after["allowed_actions"] == []
    steps = timeline(b.ok(b.get(f"/after-sales/{case['id']}/events")))
    assert steps[-1] == ("expire", "system", "system", "awaiting_return", "closed")
    # and a later pass does nothing more
    frozen.advance(days=30)
    assert run_worker()["fired"] == 0
    assert len(timeline(b.ok(b.get(f"/after-sales/{case['id']}/events")))) == len(steps)


def test_s10_return_not_received_in_10_days_starts_the_refund(api, world, frozen, settings):
    # given an agreed return the buyer shipped on 11-18 at 16:00 with 8.00 元 freight, and a payment side
    # that settles a minute after a refund starts
    settings.SIMULATED_REFUND_DELAY = 60
    case, c = _agreed_return(api, world, frozen)
    b = c["buyer"]
    frozen.at(sh(2026, 11, 18, 16))
    shipped = b.ok(
        b.post(
            f"/after-sales/{case['id']}/ship_return",
            {"carrier": "ZTO", "tracking_no": "780012345678901", "freight_fen": 800},
        )
    )
    assert shipped["state"] == "return_in_transit"
    assert when(shipped["deadline_at"]) == sh(2026, 11, 28, 16)

    # when 10 days pass with no receipt from the merchant and the timers run
    due = frozen.at(sh(2026, 11, 28, 16))
    report = run_worker()

    # then the refund starts by itself: goods and the return freight the merchant bears
    assert report["by_kind"]["fired"] == {"return_not_received": 1}
    after = b.ok(b.get(f"/after-sales/{case['id']}"))
    assert after["state"] == "refunding"
    assert after["refund"]["status"] == "pending"
    assert after["refund"]["amount_fen"] == 1990 + 800
    assert when(after["refund"]["initiated_at"]) == due
    steps = timeline(b.ok(b.get(f"/after-sales/{case['id']}/events")))
    assert steps[-1] == ("expire", "system", "system", "return_in_transit", "refunding")

    # when the next pass comes after the payment side has settled
    frozen.advance(minutes=1)
    settled = run_worker()

    # then the case is refunded, and no deadline fired twice
    assert settled["fired"] == 0
    assert settled["refunds"]["succeeded"] == 1
    final = b.ok(b.get(f"/after-sales/{case['id']}"))
    assert final["state"] == "refunded"
    steps = timeline(b.ok(b.get(f"/after-sales/{case['id']}/events")))
    assert [s[1] for s in steps].count("system") == 1
    assert steps[-1][0:2] == ("settle", "payment")
