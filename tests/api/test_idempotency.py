"""Idempotency-Key on POST: a repeat gets the first answer and does nothing twice; another body under the
same key is refused; each token has its own keys. And the OpenAPI document names the paths of the contract."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.orders.models import Order
from aftersales.refunds.models import Refund
from tests.conftest import postgres_only
from tests.factories import make_order, sh

PROBLEM = "application/problem+json"


def _application(order_sn: str, **overrides: Any) -> dict[str, Any]:
    return {
        "order_sn": order_sn,
        "type": "refund_only",
        "reason_code": "damaged",
        "items": [{"sku": "PHONE-CASE", "qty": 1}],
        **overrides,
    }


def _events(case_id: int) -> list[str]:
    return list(CaseEvent.objects.filter(case_id=case_id).order_by("seq").values_list("action", flat=True))


@pytest.fixture
def pending(api, world, frozen) -> tuple[Any, Any, dict[str, Any]]:
    """A buyer's client, the merchant's client, and a refund-only case waiting on the merchant."""
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    b, m = api(token), api(world.merchant_token)
    case = b.ok(b.post("/after-sales", _application(order.order_sn)), 201)
    return b, m, case


def test_repeat_with_same_key_and_body_replays_first_answer_and_acts_once(pending):
    # given a merchant's agreement sent with a key
    _, m, case = pending
    first = m.post(f"/after-sales/{case['id']}/agree", key="agree-1", version=case["version"])
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    # when the same request comes again, as after a lost answer
    again = m.post(f"/after-sales/{case['id']}/agree", key="agree-1", version=case["version"])
    # then the first answer comes back, marked as a replay
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.content == first.content
    # and the case moved once, with one refund
    assert _events(case["id"]) == ["apply", "agree"]
    assert Refund.objects.filter(case_id=case["id"]).count() == 1
    assert m.ok(m.get(f"/after-sales/{case['id']}"))["version"] == first.json()["version"]


def test_repeat_of_create_with_same_key_creates_once(api, world, frozen):
    # given
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    b = api(token)
    # when the same application is sent twice with one key
    first = b.post("/after-sales", _application(order.order_sn), key="apply-1")
    again = b.post("/after-sales", _application(order.order_sn), key="apply-1")
    # then one case, and the same 201 answer twice
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert AfterSale.objects.filter(order__order_sn=order.order_sn).count() == 1


def test_repeat_of_create_order_with_same_key_creates_once(api, world, frozen):
    # given
    m = api(world.merchant_token)
    m.ok(m.post("/skus", {"sku": "MUG", "name": "杯子", "price_fen": 2500, "stock": 3}), 201)
    body = {
        "order_sn": "SN-IDEM-1",
        "buyer_id": "buyer-idem",
        "receiver": {"name": "王五", "phone": "13700001111", "address": "广州市天河区 1 号"},
        "items": [{"sku": "MUG", "qty": 1, "unit_price_fen": 2500}],
        "paid_fen": 2500,
        "paid_at": "2026-11-17T09:00:00+08:00",
    }
    # when
    first = m.post("/orders", body, key="order-1")
    again = m.post("/orders", body, key="order-1")
    # then the repeat is not order_exists but the first answer
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert Order.objects.filter(order_sn="SN-IDEM-1").count() == 1


def test_repeat_of_an_error_replays_the_error(pending):
    # given a refused request sent with a key
    b, _, case = pending
    first = b.post(f"/after-sales/{case['id']}/agree", key="oops-1")
    assert first.status_code == 403
    # when it is repeated
    again = b.post(f"/after-sales/{case['id']}/agree", key="oops-1")
    # then
    assert again.status_code == 403
    assert again.headers["content-type"] == PROBLEM
    assert again.json() == first.json()


def test_same_key_with_other_body_is_idempotency_key_reused(pending):
    # given a rejection sent with a key
    _, m, case = pending
    m.ok(m.post(f"/after-sales/{case['id']}/reject", {"reason": "请补充照片"}, key="k-1"))
    # when the key comes back with another reason, and on another path
    other_body = m.post(f"/after-sales/{case['id']}/reject", {"reason": "换个理由"}, key="k-1")
    other_path = m.post(f"/after-sales/{case['id']}/agree", key="k-1")
    # then both are refused and nothing more happened
    for response in (other_body, other_path):
        assert response.status_code == 409
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "idempotency_key_reused"
    assert _events(case["id"]) == ["apply", "reject"]
    assert m.ok(m.get(f"/after-sales/{case['id']}"))["state"] == "rejected"


def test_keys_are_per_token(api, world, frozen):
    # given two buyers, each with an order
    (buyer1, token1), (buyer2, token2) = world.buyer(), world.buyer()
    order1 = make_order(world, buyer1, signed_at=sh(2026, 11, 16, 10))
    order2 = make_order(world, buyer2, signed_at=sh(2026, 11, 16, 10))
    b1, b2 = api(token1), api(token2)
    # when both use the same key for their own application
    first = b1.post("/after-sales", _application(order1.order_sn), key="same-key")
    second = b2.post("/after-sales", _application(order2.order_sn), key="same-key")
    # then each acted, neither is a replay of the other
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["order_sn"] == order2.order_sn


def test_keys_are_per_token_within_one_shop(pending, api, world):
    # given a second token for the same shop
    from aftersales.accounts.services import create_token

    _, m, case = pending
    _, token = create_token(role="merchant", shop=world.shop, name="客服小张")
    m2 = api(token)
    m.ok(m.post(f"/after-sales/{case['id']}/reject", {"reason": "请补充照片"}, key="shared"))
    # when the other token uses the same key for another request
    response = m2.post("/skus", {"sku": "NEW-1", "name": "新品", "price_fen": 100, "stock": 1}, key="shared")
    # then it is its own request
    assert response.status_code == 201, response.text
    assert "Idempotent-Replayed" not in response.headers


@postgres_only
def test_concurrent_repeats_act_once(pending):
    # given a case and one key sent twice at the same moment
    _, m, case = pending
    start = threading.Barrier(2)
    responses: list[Any] = [None, None]

    def send(i: int) -> None:
        start.wait()
        responses[i] = m.post(f"/after-sales/{case['id']}/agree", key="race-1", version=case["version"])

    # when
    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then both got the one answer and the case moved once
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    assert _events(case["id"]) == ["apply", "agree"]
    assert Refund.objects.filter(case_id=case["id"]).count() == 1


API_MD_PATHS = [
    "/skus",
    "/skus/{}",
    "/orders",
    "/orders/{}",
    "/orders/{}/ship",
    "/orders/{}/sign",
    "/orders/{}/reopen-entry",
    "/orders/{}/messages",
    "/after-sales",
    "/after-sales/{}",
    "/after-sales/{}/events",
    "/after-sales/{}/evidence",
    "/logistics/events",
    "/payments/refund-events",
    "/metrics",
] + [
    f"/after-sales/{{}}/{action}"
    for action in (
        "confirm",
        "decline",
        "cancel",
        "reapply",
        "ship_return",
        "escalate",
        "confirm_received",
        "evaluate",
        "agree",
        "reject",
        "receive_return",
        "ship",
        "refund_instead",
        "decide",
    )
]


@pytest.fixture
def openapi_paths(live_server) -> set[str]:
    import httpx

    response = httpx.get(live_server.url + "/api/v1/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return {re.sub(r"\{[^}]+\}", "{}", p.removeprefix("/api/v1")) for p in response.json()["paths"]}


@pytest.mark.parametrize("path", API_MD_PATHS)
def test_openapi_lists_path_of_the_contract(openapi_paths, path):
    # given the paths of api.md, with their parameters unnamed
    # when the OpenAPI document is read without a token
    # then it lists each of them
    assert path in openapi_paths
