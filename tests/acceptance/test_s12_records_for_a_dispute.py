"""S12 — Records for a dispute (有据可查), of acceptance.md: the evidence export of a finished reship holds the
application, agreement and shipping times, the carrier and tracking number, every chat card and who did each
step, in order; it is the same for the merchant and the platform, and hidden from everyone else."""

from tests.acceptance.support import problem, when
from tests.factories import make_world, sh

SKU = "TEA-GIFT-BOX"
TRACKING_NO = "SF1234567890123"
RECEIVER = {"name": "王五", "phone": "13700005678", "address": "广州市天河区体育西路 8 号"}


def _finished_reship(api, world, buyer, buyer_token, frozen) -> tuple[int, dict]:
    """A reship proposed, confirmed, agreed, shipped with SF, delivered and confirmed; with chat text both
    ways. Returns the case id and the times of each step."""
    merchant, b, platform = api(world.merchant_token), api(buyer_token), api(world.platform_token)
    frozen.at(sh(2026, 11, 10, 9))
    merchant.ok(merchant.post("/skus", {"sku": SKU, "name": "茶叶礼盒", "price_fen": 12800, "stock": 5}), 201)
    merchant.ok(
        merchant.post(
            "/orders",
            {
                "order_sn": "PDD-S12-0001",
                "buyer_id": buyer.id,
                "receiver": RECEIVER,
                "items": [{"sku": SKU, "qty": 2, "unit_price_fen": 12800}],
                "paid_fen": 25600,
                "paid_at": sh(2026, 11, 14, 20).isoformat(),
                "shipped_at": sh(2026, 11, 15, 9).isoformat(),
                "carrier": "ZTO",
                "tracking_no": "773312345678",
                "signed_at": sh(2026, 11, 16, 10).isoformat(),
            },
        ),
        201,
    )
    times = {}
    frozen.at(sh(2026, 11, 17, 8, 50))
    b.ok(b.post("/orders/PDD-S12-0001/messages", {"text": "只收到一盒"}), 201)
    times["applied"] = frozen.at(sh(2026, 11, 17, 9))
    case = merchant.ok(
        merchant.post(
            "/after-sales",
            {"order_sn": "PDD-S12-0001", "type": "reship", "items": [{"sku": SKU, "qty": 1}],
             "reason_code": "missing_item"},
        ),
        201,
    )  # fmt: skip
    case_id = case["id"]
    times["confirmed"] = frozen.at(sh(2026, 11, 17, 9, 20))
    b.ok(b.post(f"/after-sales/{case_id}/confirm"))
    times["agreed"] = frozen.at(sh(2026, 11, 17, 10))
    merchant.ok(merchant.post(f"/after-sales/{case_id}/agree"))
    frozen.at(sh(2026, 11, 17, 10, 5))
    merchant.ok(merchant.post("/orders/PDD-S12-0001/messages", {"text": "今天下午补发"}), 201)
    times["shipped"] = frozen.at(sh(2026, 11, 17, 15))
    merchant.ok(merchant.post(f"/after-sales/{case_id}/ship", {"carrier": "SF", "tracking_no": TRACKING_NO}))
    times["delivered"] = frozen.at(sh(2026, 11, 18, 11))
    platform.ok(
        platform.post(
            "/logistics/events", {"carrier": "SF", "tracking_no": TRACKING_NO, "status": "delivered"}
        ),
        202,
    )
    times["received"] = frozen.at(sh(2026, 11, 18, 12))
    assert b.ok(b.post(f"/after-sales/{case_id}/confirm_received"))["state"] == "completed"
    return case_id, times


def test_s12_records_for_a_dispute(api, world, frozen):
    # given a finished reship
    buyer, buyer_token = world.buyer("buyer-tea")
    case_id, times = _finished_reship(api, world, buyer, buyer_token, frozen)
    merchant, platform = api(world.merchant_token), api(world.platform_token)

    # when the merchant fetches the evidence
    record = merchant.ok(merchant.get(f"/after-sales/{case_id}/evidence"))

    # then it holds the case as it ended
    assert record["case"]["id"] == case_id
    assert record["case"]["state"] == "completed"
    assert record["case"]["type"] == "reship"
    assert when(record["case"]["created_at"]) == times["applied"]
    assert record["order"]["order_sn"] == "PDD-S12-0001"
    assert record["order"]["shop"] == world.shop.code
    # and every step, in order, with who did it and when: application, agreement, shipping with carrier and number
    steps = [
        (e["seq"], e["action"], e["actor"]["role"], e["actor"]["id"], when(e["at"])) for e in record["events"]
    ]
    assert steps == [
        (1, "propose_reship", "merchant", "客服小王", times["applied"]),
        (2, "confirm", "buyer", buyer.id, times["confirmed"]),
        (3, "agree", "merchant", "客服小王", times["agreed"]),
        (4, "ship", "merchant", "客服小王", times["shipped"]),
        (5, "carrier_event", "platform", "平台小李", times["delivered"]),
        (6, "confirm_received", "buyer", buyer.id, times["received"]),
    ]
    ship = record["events"][3]
    assert ship["data"]["carrier"] == "SF"
    assert ship["data"]["tracking_no"] == TRACKING_NO
    assert record["events"][0]["data"]["reason_code"] == "missing_item"
    assert record["events"][0]["data"]["items"] == [{"sku": SKU, "qty": 1}]
    # and the parcel, with its carrier, number and times
    assert len(record["shipments"]) == 1
    parcel = record["shipments"][0]
    assert (parcel["carrier"], parcel["tracking_no"]) == ("SF", TRACKING_NO)
    assert when(parcel["shipped_at"]) == times["shipped"]
    assert when(parcel["delivered_at"]) == times["delivered"]
    assert record["refund"] is None
    # and the whole chat, oldest first: both texts and every card, each card sent when its step happened
    chat = [
        (m["card"]["type"] if m["card"] else m["text"], m["sender"]["role"], m["to"], when(m["at"]))
        for m in record["messages"]
    ]
    assert chat == [
        ("只收到一盒", "buyer", "merchant", sh(2026, 11, 17, 8, 50)),
        ("reship_request", "system", "buyer", times["applied"]),
        ("reship_request_confirmed", "system", "merchant", times["confirmed"]),
        ("reship_in_progress", "system", "buyer", times["agreed"]),
        ("今天下午补发", "merchant", "buyer", sh(2026, 11, 17, 10, 5)),
        ("tracking_number", "system", "buyer", times["shipped"]),
        ("satisfaction_survey", "system", "buyer", times["received"]),
    ]
    cards = [m["card"] for m in record["messages"] if m["card"]]
    assert {c["case_id"] for c in cards} == {case_id}
    tracking = next(c for c in cards if c["type"] == "tracking_number")
    assert (tracking["data"]["carrier"], tracking["data"]["tracking_no"]) == ("SF", TRACKING_NO)
    # and the sender of the first text is the buyer by name
    assert record["messages"][0]["sender"]["id"] == buyer.id

    # when the platform fetches it
    by_platform = platform.ok(platform.get(f"/after-sales/{case_id}/evidence"))
    # then it is the same record
    assert by_platform == record


def test_s12_evidence_of_a_case_of_another_shop_is_not_found(api, world, frozen):
    # given a finished reship of one shop, another shop's merchant, and another buyer
    buyer, buyer_token = world.buyer("buyer-tea-2")
    case_id, _ = _finished_reship(api, world, buyer, buyer_token, frozen)
    other_shop = make_world()
    _, stranger_token = world.buyer("buyer-stranger")

    # when they ask for the evidence
    by_other_shop = api(other_shop.merchant_token).get(f"/after-sales/{case_id}/evidence")
    by_stranger = api(stranger_token).get(f"/after-sales/{case_id}/evidence")
    html_by_other_shop = api(other_shop.merchant_token).get(f"/after-sales/{case_id}/evidence", format="html")

    # then it does not exist for them
    problem(by_other_shop, 404, "not_found")
    problem(by_stranger, 404, "not_found")
    problem(html_by_other_shop, 404, "not_found")
    # and the buyer of the case can read their own record
    own = api(buyer_token).ok(api(buyer_token).get(f"/after-sales/{case_id}/evidence"))
    assert own["case"]["id"] == case_id


def test_s12_printable_evidence_is_an_html_document(api, world, frozen):
    # given a finished reship
    buyer, buyer_token = world.buyer("buyer-tea-3")
    case_id, _ = _finished_reship(api, world, buyer, buyer_token, frozen)
    merchant, platform = api(world.merchant_token), api(world.platform_token)

    # when the merchant and the platform ask for the printable format
    page = merchant.get(f"/after-sales/{case_id}/evidence", format="html")
    by_platform = platform.get(f"/after-sales/{case_id}/evidence", format="html")

    # then it is one HTML document with the parcel and every card of the chat
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert html.rstrip().endswith("</html>")
    assert TRACKING_NO in html
    assert "PDD-S12-0001" in html
    for card in (
        "reship_request",
        "reship_request_confirmed",
        "reship_in_progress",
        "tracking_number",
        "satisfaction_survey",
    ):
        assert f"[{card}]" in html, card
    for action in ("propose_reship", "confirm", "agree", "ship", "confirm_received"):
        assert action in html
    assert by_platform.status_code == 200
    assert TRACKING_NO in by_platform.text
