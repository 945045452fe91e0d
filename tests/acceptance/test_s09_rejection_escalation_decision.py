"""S9 — Rejection, escalation, platform decision, of acceptance.md: the merchant rejects a quality claim, the
buyer escalates (平台介入), and the platform decides ``refund`` (the case goes to ``refunding`` with the platform
as the deciding actor) or ``reject`` (the case ends ``closed`` / ``platform_rejected``)."""

from tests.acceptance.support import problem, run_worker, timeline, when
from tests.factories import make_order, sh

SKU = "PHONE-CASE"
PHOTOS = ["https://img.example.com/crack-1.jpg"]


def _escalated_quality_claim(api, world, frozen) -> tuple[int, str, dict]:
    """A refund_only quality claim the merchant rejected (外观无损) and the buyer escalated; returns the case id,
    the buyer's id and the clients."""
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 15, 10))
    b, m, p = api(token), api(world.merchant_token), api(world.platform_token)
    frozen.at(sh(2026, 11, 18, 10))
    body = {
        "order_sn": order.order_sn,
        "type": "refund_only",
        "reason_code": "quality_issue",
        "items": [{"sku": SKU, "qty": 1}],
        "description": "壳身有裂纹",
        "evidence": PHOTOS,
    }
    case = b.ok(b.post("/after-sales", body), 201)

    # the merchant rejects the claim
    frozen.at(sh(2026, 11, 18, 11))
    case = m.ok(m.post(f"/after-sales/{case['id']}/reject", {"reason": "外观无损"}, version=case["version"]))
    assert case["state"] == "rejected"
    assert case["waiting_on"] == "buyer"
    assert when(case["deadline_at"]) == sh(2026, 11, 21, 11)
    assert case["pdd_status"] == 6
    assert b.ok(b.get(f"/after-sales/{case['id']}"))["allowed_actions"] == ["reapply", "escalate", "cancel"]

    # the buyer escalates to the platform
    frozen.at(sh(2026, 11, 18, 12))
    case = b.ok(b.post(f"/after-sales/{case['id']}/escalate", {"reason": "照片里能看到裂纹"}))
    assert case["state"] == "platform_review"
    assert case["waiting_on"] == "platform"
    assert case["pdd_status"] == 8
    # the platform has 3 business days (Thu 19, Fri 20, Mon 23)
    assert when(case["deadline_at"]) == sh(2026, 11, 24, 0)
    waiting = p.ok(p.get("/after-sales", waiting_on="platform"))["items"]
    assert case["id"] in [c["id"] for c in waiting]
    assert p.ok(p.get(f"/after-sales/{case['id']}"))["allowed_actions"] == ["decide"]
    # the merchant cannot decide their own dispute
    problem(
        m.post(f"/after-sales/{case['id']}/decide", {"decision": "reject", "note": "外观无损"}),
        403,
        "forbidden",
    )
    return case["id"], buyer.id, {"buyer": b, "merchant": m, "platform": p}


def test_s09_platform_decides_refund(api, world, frozen):
    # given a rejected quality claim the buyer escalated
    case_id, buyer_id, c = _escalated_quality_claim(api, world, frozen)
    b, p = c["buyer"], c["platform"]

    # when the platform decides on a refund (Thursday 11-19)
    decided_at = frozen.at(sh(2026, 11, 19, 10))
    case = p.ok(
        p.post(f"/after-sales/{case_id}/decide", {"decision": "refund", "note": "图片显示裂纹，支持退款"})
    )

    # then the case goes to refunding, agreed by the platform, with the merchant liable
    assert case["state"] == "refunding"
    assert case["waiting_on"] == "payment"
    assert case["pdd_status"] == 5
    assert case["merchant_liable"] is True
    assert case["refund"]["amount_fen"] == 1990
    assert when(case["refund"]["initiated_at"]) == decided_at
    assert when(case["refund"]["due_by"]) == sh(2026, 11, 25, 0)
    # and the timeline names the platform as the deciding actor
    events = b.ok(b.get(f"/after-sales/{case_id}/events"))
    assert timeline(events) == [
        ("apply", "buyer", buyer_id, None, "pending_merchant"),
        ("reject", "merchant", "客服小王", "pending_merchant", "rejected"),
        ("escalate", "buyer", buyer_id, "rejected", "platform_review"),
        ("decide:refund", "platform", "平台小李", "platform_review", "refunding"),
    ]
    items = events["items"]
    assert items[1]["data"]["reason"] == "外观无损"
    assert items[2]["data"]["reason"] == "照片里能看到裂纹"
    assert items[3]["data"]["decision"] == "refund"
    assert items[3]["data"]["note"] == "图片显示裂纹，支持退款"
    assert [when(e["at"]) for e in items] == [
        sh(2026, 11, 18, 10),
        sh(2026, 11, 18, 11),
        sh(2026, 11, 18, 12),
        decided_at,
    ]

    # when the worker runs
    frozen.advance(minutes=1)
    run_worker()
    # then the buyer has the money
    case = b.ok(b.get(f"/after-sales/{case_id}"))
    assert case["state"] == "refunded"
    assert case["refund"]["status"] == "succeeded"


def test_s09_platform_decides_reject(api, world, frozen):
    # given a rejected quality claim the buyer escalated
    case_id, _, c = _escalated_quality_claim(api, world, frozen)
    b, m, p = c["buyer"], c["merchant"], c["platform"]

    # when the platform rejects it
    frozen.at(sh(2026, 11, 19, 10))
    case = p.ok(p.post(f"/after-sales/{case_id}/decide", {"decision": "reject", "note": "外观无损，不支持"}))

    # then the case is closed by the platform, with no money and nothing left to do
    assert case["state"] == "closed"
    assert case["close_reason"] == "platform_rejected"
    assert case["pdd_status"] == 9
    assert case["waiting_on"] is None
    assert case["deadline_at"] is None
    assert case["refund"] is None
    assert case["merchant_liable"] is False
    assert set(b.ok(b.get(f"/after-sales/{case_id}"))["allowed_actions"]) <= {"evaluate"}
    assert m.ok(m.get(f"/after-sales/{case_id}"))["allowed_actions"] == []
    assert timeline(m.ok(m.get(f"/after-sales/{case_id}/events")))[-1] == (
        "decide:reject",
        "platform",
        "平台小李",
        "platform_review",
        "closed",
    )
    # and the worker pays nothing
    frozen.advance(days=5)
    run_worker()
    assert b.ok(b.get(f"/after-sales/{case_id}"))["refund"] is None
