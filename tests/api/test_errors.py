"""Every error code the API can answer, through the real HTTP server: the status, the problem+json body with
its code, and that nothing changed (the case, the order's entry, the stock, the refunds, the timeline)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from aftersales.refunds.models import Refund
from aftersales.risk.services import close_entry_for_abuse
from tests.factories import make_order, make_world, sh

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith(code)
    assert body["title"]
    assert body["detail"]
    return body


def snapshot(m: Any, order_sn: str) -> dict[str, Any]:
    """What an error must leave alone, as the order's merchant sees it (the chat too: no card for a refusal)."""
    order = m.ok(m.get(f"/orders/{order_sn}"))
    cases = m.ok(m.get("/after-sales", order_sn=order_sn, limit=100))["items"]
    return {
        "entry": order["after_sales_entry"],
        "cases": cases,
        "events": {c["id"]: m.ok(m.get(f"/after-sales/{c['id']}/events"))["items"] for c in cases},
        "stock": {i["sku"]: m.ok(m.get(f"/skus/{i['sku']}")) for i in order["items"]},
        "messages": m.ok(m.get(f"/orders/{order_sn}/messages"))["items"],
        "refunds": list(
            Refund.objects.filter(case__order__order_sn=order_sn)
            .order_by("id")
            .values("id", "status", "amount_fen", "attempts", "settled_at")
        ),
    }


@dataclass
class Scene:
    world: Any
    buyer: Any
    buyer_token: str
    b: Any
    m: Any
    p: Any
    order_sn: str

    def snap(self) -> dict[str, Any]:
        return snapshot(self.m, self.order_sn)

    def apply(self, **overrides: Any) -> Any:
        body = {
            "order_sn": self.order_sn,
            "type": "refund_only",
            "reason_code": "damaged",
            "items": [{"sku": "PHONE-CASE", "qty": 1}],
            **overrides,
        }
        return self.b.post("/after-sales", body)

    def case(self, **overrides: Any) -> dict[str, Any]:
        return self.b.ok(self.apply(**overrides), 201)

    def awaiting_return(self) -> dict[str, Any]:
        case = self.case(type="return_refund")
        return self.m.ok(self.m.post(f"/after-sales/{case['id']}/agree", version=case["version"]))


@pytest.fixture
def shop(api, world, frozen) -> Scene:
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    return Scene(
        world=world,
        buyer=buyer,
        buyer_token=token,
        b=api(token),
        m=api(world.merchant_token),
        p=api(world.platform_token),
        order_sn=order.order_sn,
    )


def order_body(order_sn: str, **overrides: Any) -> dict[str, Any]:
    return {
        "order_sn": order_sn,
        "buyer_id": "buyer-new",
        "receiver": {"name": "李四", "phone": "13900001111", "address": "北京市朝阳区 1 号"},
        "items": [{"sku": "PHONE-CASE", "qty": 1, "unit_price_fen": 1990}],
        "freight_fen": 0,
        "paid_fen": 1990,
        "paid_at": "2026-11-10T09:00:00+08:00",
        **overrides,
    }


# validation_error


def test_malformed_json_is_validation_error(shop):
    # given a case before the request
    case = shop.case()
    before = shop.snap()
    # when the body is not JSON
    response = shop.m.http.post(
        f"/after-sales/{case['id']}/reject",
        content=b'{"reason": "no',
        headers={"Content-Type": "application/json"},
    )
    # then
    assert_problem(response, 422, "validation_error")
    assert shop.snap() == before


def test_missing_fields_are_validation_error_naming_each_field(shop):
    # given
    before = shop.snap()
    # when the application names only the order
    response = shop.b.post("/after-sales", {"order_sn": shop.order_sn})
    # then every missing field is named
    body = assert_problem(response, 422, "validation_error")
    fields = {e["field"] for e in body["errors"]}
    assert {"type", "reason_code", "items"} <= fields
    assert shop.snap() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"items": [{"sku": "PHONE-CASE", "qty": "one"}]}, "items.0.qty"),
        ({"items": "PHONE-CASE"}, "items"),
        ({"refund_fen": "lots"}, "refund_fen"),
        ({"type": "give_me_money"}, "type"),
    ],
)
def test_wrong_types_are_validation_error(shop, overrides, field):
    # given
    before = shop.snap()
    # when a field has the wrong type
    response = shop.apply(**overrides)
    # then
    body = assert_problem(response, 422, "validation_error")
    assert field in {e["field"] for e in body["errors"]}
    assert shop.snap() == before


def test_unknown_reason_code_is_validation_error(shop):
    # given
    before = shop.snap()
    # when
    response = shop.apply(reason_code="felt_like_it")
    # then
    body = assert_problem(response, 422, "validation_error")
    assert body["field"] == "reason_code"
    assert shop.snap() == before


def test_limit_above_100_is_validation_error(shop):
    # given
    shop.case()
    # when
    response = shop.m.get("/after-sales", limit=101)
    # then
    body = assert_problem(response, 422, "validation_error")
    assert "limit" in {e["field"] for e in body["errors"]}


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        _b64("{}"),
        _b64("[]"),
        _b64(json.dumps(["yesterday", 1])),
        _b64(json.dumps(["2026-11-18T10:00:00+00:00", "x"])),
    ],
    ids=["garbage", "object", "empty", "bad-time", "bad-id"],
)
@pytest.mark.parametrize("sort", ["deadline", "-created"])
def test_bad_cursor_is_validation_error(shop, cursor, sort):
    # given
    shop.case()
    # when
    response = shop.m.get("/after-sales", cursor=cursor, sort=sort)
    # then
    body = assert_problem(response, 422, "validation_error")
    assert body["field"] == "cursor"


@pytest.mark.parametrize("field", ["paid_at", "shipped_at", "signed_at"])
def test_naive_datetime_on_create_order_is_validation_error(shop, field):
    # given an order whose times are all aware but one
    times = {
        "paid_at": "2026-11-10T09:00:00+08:00",
        "shipped_at": "2026-11-10T18:00:00+08:00",
        "carrier": "ZTO",
        "tracking_no": "773312345678",
        "signed_at": "2026-11-12T10:00:00+08:00",
    }
    times[field] = times[field].removesuffix("+08:00")
    stock_before = shop.m.ok(shop.m.get("/skus/PHONE-CASE"))
    # when
    response = shop.m.post("/orders", order_body("SN-NAIVE", **times))
    # then no order exists
    assert_problem(response, 422, "validation_error")
    assert_problem(shop.m.get("/orders/SN-NAIVE"), 404, "not_found")
    assert shop.m.ok(shop.m.get("/skus/PHONE-CASE")) == stock_before


# not_found


def test_unknown_case_is_not_found(shop):
    # given
    before = shop.snap()
    # when
    reads = [shop.m.get("/after-sales/999999"), shop.m.get("/after-sales/999999/events")]
    write = shop.m.post("/after-sales/999999/agree")
    # then
    for response in [*reads, write]:
        assert_problem(response, 404, "not_found")
    assert shop.snap() == before


def test_case_of_another_shop_is_not_found_for_merchant(shop, api):
    # given a case of this shop and a merchant of another
    case = shop.case()
    other = api(make_world().merchant_token)
    before = shop.snap()
    # when the other merchant reads it and acts on it
    responses = [
        other.get(f"/after-sales/{case['id']}"),
        other.get(f"/after-sales/{case['id']}/events"),
        other.post(f"/after-sales/{case['id']}/agree", version=case["version"]),
        other.post(f"/after-sales/{case['id']}/reject", {"reason": "不行"}),
    ]
    # then it does not exist for them
    for response in responses:
        assert_problem(response, 404, "not_found")
    assert shop.snap() == before


def test_case_of_another_buyer_is_not_found(shop, api):
    # given a case and another buyer
    case = shop.case()
    _, token = shop.world.buyer()
    other = api(token)
    before = shop.snap()
    # when the other buyer reads it and cancels it
    responses = [
        other.get(f"/after-sales/{case['id']}"),
        other.get(f"/after-sales/{case['id']}/events"),
        other.post(f"/after-sales/{case['id']}/cancel"),
    ]
    # then
    for response in responses:
        assert_problem(response, 404, "not_found")
    assert shop.snap() == before


def test_order_of_another_buyer_is_not_found(shop, api):
    # given another buyer
    _, token = shop.world.buyer()
    other = api(token)
    before = shop.snap()
    # when they read the order and apply on it
    read = other.get(f"/orders/{shop.order_sn}")
    apply = other.post(
        "/after-sales",
        {
            "order_sn": shop.order_sn,
            "type": "refund_only",
            "reason_code": "damaged",
            "items": [{"sku": "PHONE-CASE", "qty": 1}],
        },
    )
    # then
    assert_problem(read, 404, "not_found")
    assert_problem(apply, 404, "not_found")
    assert shop.snap() == before


def test_order_of_another_shop_is_not_found_for_merchant(shop, api):
    # given
    other = api(make_world().merchant_token)
    before = shop.snap()
    # when
    responses = [
        other.get(f"/orders/{shop.order_sn}"),
        other.post(f"/orders/{shop.order_sn}/sign", {"at": "2026-11-17T10:00:00+08:00"}),
    ]
    # then
    for response in responses:
        assert_problem(response, 404, "not_found")
    assert shop.snap() == before


def test_unknown_sku_is_not_found(shop, api):
    # given a SKU of this shop and a merchant of another
    other = api(make_world().merchant_token)
    before = shop.snap()
    # when
    responses = [
        shop.m.get("/skus/NO-SUCH-SKU"),
        shop.m.patch("/skus/NO-SUCH-SKU", {"stock": 5}),
        other.get("/skus/PHONE-CASE"),
        other.patch("/skus/PHONE-CASE", {"stock_delta": -1}),
    ]
    # then
    for response in responses:
        assert_problem(response, 404, "not_found")
    assert shop.snap() == before


# unauthenticated


@pytest.mark.parametrize("token", [None, "as_not-a-real-token"], ids=["no-token", "bad-token"])
def test_request_without_valid_token_is_unauthenticated(shop, api, token):
    # given
    case = shop.case()
    anonymous = api(token)
    before = shop.snap()
    # when
    responses = [
        anonymous.get("/after-sales"),
        anonymous.get(f"/after-sales/{case['id']}"),
        anonymous.post(f"/after-sales/{case['id']}/agree"),
        anonymous.post("/orders", order_body("SN-ANON")),
    ]
    # then
    for response in responses:
        assert_problem(response, 401, "unauthenticated")
    assert shop.snap() == before


# forbidden


def test_buyer_calling_agree_is_forbidden(shop):
    # given the buyer's own case
    case = shop.case()
    before = shop.snap()
    # when
    response = shop.b.post(f"/after-sales/{case['id']}/agree", version=case["version"])
    # then
    body = assert_problem(response, 403, "forbidden")
    assert body["role"] == "buyer"
    assert body["allowed_roles"] == ["merchant"]
    assert shop.snap() == before


def test_merchant_calling_decide_is_forbidden(shop):
    # given an escalated case
    case = shop.case()
    shop.p.ok(shop.p.post(f"/after-sales/{case['id']}/escalate", {"reason": "平台介入"}))
    before = shop.snap()
    # when the merchant decides it
    response = shop.m.post(f"/after-sales/{case['id']}/decide", {"decision": "reject", "note": "我说了算"})
    # then
    body = assert_problem(response, 403, "forbidden")
    assert body["allowed_roles"] == ["platform"]
    assert shop.snap() == before


def test_buyer_calling_reopen_entry_is_forbidden(shop):
    # given an entry closed for suspected abuse
    order_id = _order_id(shop.order_sn)
    close_entry_for_abuse(order_id=order_id, sku_code="PHONE-CASE", recent_cases=3, days=30, limit=3)
    before = shop.snap()
    # when the buyer reopens it
    response = shop.b.post(f"/orders/{shop.order_sn}/reopen-entry", {"note": "我没有滥用"})
    # then it stays closed
    assert_problem(response, 403, "forbidden")
    assert shop.snap() == before
    assert before["entry"]["open"] is False


def test_merchant_posting_refund_event_is_forbidden(shop):
    # given a refund under way
    case = shop.case()
    refunding = shop.m.ok(shop.m.post(f"/after-sales/{case['id']}/agree"))
    assert refunding["state"] == "refunding"
    before = shop.snap()
    # when the merchant reports it paid
    response = shop.m.post(
        "/payments/refund-events",
        {"refund_id": refunding["refund"]["id"], "status": "succeeded", "at": "2026-11-18T10:00:00+08:00"},
    )
    # then
    assert_problem(response, 403, "forbidden")
    assert shop.snap() == before


# action_not_allowed, stale_version, idempotency_key_reused


def test_action_in_wrong_state_is_action_not_allowed_naming_state_and_allowed(shop):
    # given a case waiting on the merchant
    case = shop.case(type="return_refund")
    before = shop.snap()
    # when the buyer ships the return before the merchant agreed
    response = shop.b.post(
        f"/after-sales/{case['id']}/ship_return", {"carrier": "ZTO", "tracking_no": "773312345679"}
    )
    # then
    body = assert_problem(response, 409, "action_not_allowed")
    assert body["action"] == "ship_return"
    assert body["state"] == "pending_merchant"
    assert body["allowed_actions"] == ["cancel"]
    assert shop.snap() == before


def test_action_on_final_case_is_action_not_allowed_with_no_actions(shop):
    # given a cancelled case
    case = shop.case()
    shop.b.ok(shop.b.post(f"/after-sales/{case['id']}/cancel"))
    before = shop.snap()
    # when the merchant agrees to it
    response = shop.m.post(f"/after-sales/{case['id']}/agree")
    # then
    body = assert_problem(response, 409, "action_not_allowed")
    assert body["state"] == "closed"
    assert body["allowed_actions"] == []
    assert shop.snap() == before


def test_old_version_is_stale_version(shop):
    # given a case that has moved on since the merchant loaded it
    loaded = shop.case(type="return_refund")
    shop.m.ok(shop.m.post(f"/after-sales/{loaded['id']}/reject", {"reason": "请补充照片"}))
    shop.b.ok(shop.b.post(f"/after-sales/{loaded['id']}/reapply", {"description": "照片已补"}))
    before = shop.snap()
    current = before["cases"][0]["version"]
    # when the merchant acts on the old version
    response = shop.m.post(f"/after-sales/{loaded['id']}/agree", version=loaded["version"])
    # then
    body = assert_problem(response, 409, "stale_version")
    assert body["sent_version"] == loaded["version"]
    assert body["current_version"] == current
    assert shop.snap() == before


def test_same_key_with_other_body_is_idempotency_key_reused(shop):
    # given a rejection sent with a key
    case = shop.case()
    shop.m.ok(shop.m.post(f"/after-sales/{case['id']}/reject", {"reason": "请补充照片"}, key="reject-1"))
    before = shop.snap()
    # when the same key comes with another body
    response = shop.m.post(f"/after-sales/{case['id']}/reject", {"reason": "另一个理由"}, key="reject-1")
    # then
    assert_problem(response, 409, "idempotency_key_reused")
    assert shop.snap() == before


# orders


def test_repeated_order_sn_is_order_exists(shop, api):
    # given an existing order, and a merchant of another shop with the same SKU
    other_world = make_world()
    other = api(other_world.merchant_token)
    other.ok(other.post("/skus", {"sku": "PHONE-CASE", "name": "壳", "price_fen": 1990, "stock": 5}), 201)
    before, other_sku = shop.snap(), other.ok(other.get("/skus/PHONE-CASE"))
    # when both create an order with its order_sn
    mine = shop.m.post("/orders", order_body(shop.order_sn))
    theirs = other.post("/orders", order_body(shop.order_sn))
    # then order_sn is unique across the platform
    for response in (mine, theirs):
        body = assert_problem(response, 409, "order_exists")
        assert body["order_sn"] == shop.order_sn
    assert shop.snap() == before
    assert shop.m.ok(shop.m.get(f"/orders/{shop.order_sn}"))["buyer_id"] == shop.buyer.id
    assert other.ok(other.get("/skus/PHONE-CASE")) == other_sku


@pytest.mark.parametrize(
    "carrier, tracking_no, code",
    [("NOPE", "773312345678", "unknown_carrier"), ("ZTO", "12AB", "invalid_tracking_no")],
)
def test_bad_shipment_on_create_order_is_refused(shop, carrier, tracking_no, code):
    # given
    stock_before = shop.m.ok(shop.m.get("/skus/PHONE-CASE"))
    # when
    response = shop.m.post(
        "/orders",
        order_body(
            "SN-BAD-SHIP",
            shipped_at="2026-11-10T18:00:00+08:00",
            carrier=carrier,
            tracking_no=tracking_no,
        ),
    )
    # then
    assert_problem(response, 422, code)
    assert_problem(shop.m.get("/orders/SN-BAD-SHIP"), 404, "not_found")
    assert shop.m.ok(shop.m.get("/skus/PHONE-CASE")) == stock_before


# policy (domain.md section 5)


def _order_id(order_sn: str) -> int:
    from aftersales.orders.models import Order

    return Order.objects.get(order_sn=order_sn).pk


def test_apply_on_closed_entry_is_entry_closed(shop):
    # given an entry closed for suspected abuse
    close_entry_for_abuse(
        order_id=_order_id(shop.order_sn), sku_code="PHONE-CASE", recent_cases=3, days=30, limit=3
    )
    before = shop.snap()
    # when the buyer applies
    response = shop.apply()
    # then
    body = assert_problem(response, 422, "entry_closed")
    assert body["entry_closed_reason"] == "suspected_abuse"
    assert before["entry"] == {**before["entry"], "open": False, "closed_reason": "suspected_abuse"}
    assert shop.snap() == before


def test_apply_on_item_with_open_case_is_case_already_open(shop):
    # given an open case on the item
    case = shop.case()
    before = shop.snap()
    # when the buyer applies again for it
    response = shop.apply(type="return_refund", reason_code="quality_issue")
    # then
    body = assert_problem(response, 422, "case_already_open")
    assert body["case_id"] == case["id"]
    assert str(case["id"]) in body["detail"]
    assert shop.snap() == before


def test_fourth_application_is_max_applications_reached(shop):
    # given three applications, each cancelled
    for _ in range(3):
        case = shop.case()
        shop.b.ok(shop.b.post(f"/after-sales/{case['id']}/cancel"))
    before = shop.snap()
    # when the buyer applies a fourth time
    response = shop.apply()
    # then
    body = assert_problem(response, 422, "max_applications_reached")
    assert body["applications_used"] == 3
    assert body["max_applications"] == 3
    assert "3" in body["detail"]
    assert before["entry"]["applications_left"] == 0
    assert shop.snap() == before


def test_apply_after_window_is_window_expired(api, world, frozen):
    # given an order signed for on 11-10 10:00; the window ends at 24:00 on 11-17; now is 11-18 10:00
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 10, 10))
    b, m = api(token), api(world.merchant_token)
    before = snapshot(m, order.order_sn)
    # when
    response = b.post(
        "/after-sales",
        {
            "order_sn": order.order_sn,
            "type": "return_refund",
            "reason_code": "quality_issue",
            "items": [{"sku": "PHONE-CASE", "qty": 1}],
        },
    )
    # then the times are named
    body = assert_problem(response, 422, "window_expired")
    assert datetime.fromisoformat(body["signed_at"]) == sh(2026, 11, 10, 10)
    assert datetime.fromisoformat(body["window_ends_at"]) == sh(2026, 11, 18, 0)
    assert "11月10日 10:00" in body["detail"]
    assert "11月17日 24:00" in body["detail"]
    assert snapshot(m, order.order_sn) == before


def test_window_expired_detail_in_english_names_the_times(api, world, frozen):
    # given
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 10, 10))
    b = api(token, lang="en")
    # when
    response = b.post(
        "/after-sales",
        {
            "order_sn": order.order_sn,
            "type": "refund_only",
            "reason_code": "damaged",
            "items": [{"sku": "PHONE-CASE", "qty": 1}],
        },
    )
    # then
    body = assert_problem(response, 422, "window_expired")
    assert "Nov 10 10:00" in body["detail"]
    assert "Nov 17 24:00" in body["detail"]


def test_no_reason_return_of_excluded_sku_is_refused_but_fault_return_accepted(api, world, frozen):
    # given a SKU excluded from no-reason returns and a signed order for it
    buyer, token = world.buyer()
    b, m = api(token), api(world.merchant_token)
    m.ok(
        m.post(
            "/skus",
            {"sku": "TEA-FRESH", "name": "鲜茶", "price_fen": 8800, "stock": 5, "no_reason_return": False},
        ),
        201,
    )
    m.ok(
        m.post(
            "/orders",
            {
                **order_body("SN-TEA", buyer_id=buyer.id),
                "items": [{"sku": "TEA-FRESH", "qty": 1, "unit_price_fen": 8800}],
                "paid_fen": 8800,
                "shipped_at": "2026-11-14T18:00:00+08:00",
                "carrier": "SF",
                "tracking_no": "SF1234567890123",
                "signed_at": "2026-11-16T10:00:00+08:00",
            },
        ),
        201,
    )
    application = {
        "order_sn": "SN-TEA",
        "type": "return_refund",
        "items": [{"sku": "TEA-FRESH", "qty": 1}],
    }
    before = snapshot(m, "SN-TEA")
    # when the buyer returns it because it is no longer needed
    refused = b.post("/after-sales", {**application, "reason_code": "no_longer_needed"})
    # then
    body = assert_problem(refused, 422, "no_reason_return_excluded")
    assert body["sku"] == "TEA-FRESH"
    assert "TEA-FRESH" in body["detail"]
    assert snapshot(m, "SN-TEA") == before
    # when the reason is the merchant's fault
    accepted = b.post("/after-sales", {**application, "reason_code": "quality_issue"})
    # then the return is accepted and the merchant bears the return freight
    case = b.ok(accepted, 201)
    assert case["state"] == "pending_merchant"
    assert case["merchant_fault"] is True
    assert case["return_freight_payer"] == "merchant"


def test_refund_above_paid_is_amount_exceeds_refundable(shop, api):
    # given
    before = shop.snap()
    english = api(shop.buyer_token, lang="en")
    # when the buyer asks for one fen more than the item cost
    response = english.post(
        "/after-sales",
        {
            "order_sn": shop.order_sn,
            "type": "refund_only",
            "reason_code": "damaged",
            "items": [{"sku": "PHONE-CASE", "qty": 1}],
            "refund_fen": 1991,
        },
    )
    # then the numbers are named
    body = assert_problem(response, 422, "amount_exceeds_refundable")
    assert body["requested_fen"] == 1991
    assert body["refundable_fen"] == 1990
    assert "19.91" in body["detail"]
    assert "19.90" in body["detail"]
    assert shop.snap() == before


# logistics


def test_ship_return_with_bad_number_is_invalid_tracking_no(shop):
    # given a case waiting for the return
    case = shop.awaiting_return()
    before = shop.snap()
    # when
    response = shop.b.post(
        f"/after-sales/{case['id']}/ship_return",
        {"carrier": "SF", "tracking_no": "773312345678"},
        version=case["version"],
    )
    # then
    body = assert_problem(response, 422, "invalid_tracking_no")
    assert body["carrier"] == "SF"
    assert body["tracking_no"] == "773312345678"
    assert "SF" in body["format"]
    assert shop.snap() == before
    assert before["cases"][0]["state"] == "awaiting_return"
    assert before["cases"][0]["return_shipment"] is None


def test_ship_return_with_unknown_carrier_is_unknown_carrier(shop):
    # given a case waiting for the return
    case = shop.awaiting_return()
    before = shop.snap()
    # when
    response = shop.b.post(
        f"/after-sales/{case['id']}/ship_return",
        {"carrier": "PIGEON", "tracking_no": "773312345678"},
        version=case["version"],
    )
    # then the known carriers are listed
    body = assert_problem(response, 422, "unknown_carrier")
    assert body["carrier"] == "PIGEON"
    assert {"SF", "ZTO", "YTO", "JD"} <= set(body["known_carriers"])
    assert shop.snap() == before
