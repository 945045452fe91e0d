"""S13 — Bad input changes nothing, of acceptance.md: each bad request is refused with its code, and afterwards
the case, the stock, the money and the timeline are exactly as before; repeating a request with the same
``Idempotency-Key`` returns the first answer and refunds once."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.acceptance.support import problem, run_worker, timeline
from tests.conftest import ON_POSTGRES
from tests.factories import make_order, make_world, sh

CASE_SKU, OTHER_SKU = "PHONE-CASE", "SCREEN-FILM"
IN_MEMORY_SQLITE = not ON_POSTGRES and not os.environ.get("AFTERSALES_TEST_SQLITE_NAME")
RETURN_ADDRESS = {"name": "售后部", "phone": "13800001111", "address": "杭州市余杭区仓前街道 1 号"}


@dataclass
class Scene:
    """One order of a phone case (19.90 元) and a screen film (9.90 元), signed for on 11-15, and one case on the
    phone case, with a client for each caller."""

    callers: dict[str, Any]
    order_sn: str
    merchant_token: str
    case: dict[str, Any] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        """Everything a bad request must leave alone, as the shop's merchant sees it (and the chat as both
        sides see it), after a worker pass, so that a refund started by mistake would show too."""
        run_worker()
        m = self.callers["merchant"]
        case = m.ok(m.get(f"/after-sales/{self.case['id']}"))
        order = m.ok(m.get(f"/orders/{self.order_sn}"))
        return {
            "case": case,
            "money": {
                "refund_fen": case["refund_fen"],
                "freight_refund_fen": case["freight_refund_fen"],
                "refund": case["refund"],
                "refunds_on_order": [c["refund"] for c in self.cases_on_order()],
            },
            "timeline": m.ok(m.get(f"/after-sales/{self.case['id']}/events")),
            "stock": {sku: m.ok(m.get(f"/skus/{sku}")) for sku in (CASE_SKU, OTHER_SKU)},
            "order": order,
            "cases_on_order": self.cases_on_order(),
            "chat": {
                who: self.callers[who].ok(self.callers[who].get(f"/orders/{self.order_sn}/messages"))
                for who in ("buyer", "merchant")
            },
        }

    def cases_on_order(self) -> list[dict[str, Any]]:
        m = self.callers["merchant"]
        return m.ok(m.get("/after-sales", order_sn=self.order_sn, limit=100))["items"]

    def act(self, caller: str, action: str, body: dict[str, Any], *, key: str | None = None) -> Any:
        client = self.callers[caller]
        if action == "apply":
            return client.post("/after-sales", body, key=key)
        return client.post(f"/after-sales/{self.case['id']}/{action}", body, key=key)


def arrange(api: Any, frozen: Any, kind: str, state: str) -> Scene:
    """A ``return_refund`` (money at stake) or ``reship`` (stock at stake) case on the phone case, in ``state``."""
    world = make_world(default_return_address=RETURN_ADDRESS)
    other_shop = make_world()
    buyer, token = world.buyer()
    order = make_order(
        world, buyer, items=[(CASE_SKU, 1, 1990), (OTHER_SKU, 1, 990)], signed_at=sh(2026, 11, 15, 10)
    )
    scene = Scene(
        callers={
            "buyer": api(token),
            "merchant": api(world.merchant_token),
            "platform": api(world.platform_token),
            "other_shop": api(other_shop.merchant_token),
        },
        order_sn=order.order_sn,
        merchant_token=world.merchant_token,
    )
    b, m = scene.callers["buyer"], scene.callers["merchant"]
    frozen.at(sh(2026, 11, 18, 10))
    reason = "quality_issue" if kind == "return_refund" else "missing_item"
    body = {
        "order_sn": order.order_sn,
        "type": kind,
        "reason_code": reason,
        "items": [{"sku": CASE_SKU, "qty": 1}],
    }
    case = b.ok(b.post("/after-sales", body), 201)
    path = f"/after-sales/{case['id']}"
    if state == "rejected":
        frozen.at(sh(2026, 11, 18, 11))
        case = m.ok(m.post(f"{path}/reject", {"reason": "请补充照片"}))
    if state in ("awaiting_return", "return_in_transit", "awaiting_shipment"):
        frozen.at(sh(2026, 11, 18, 11))
        case = m.ok(
            m.post(f"{path}/agree", {"return_address": RETURN_ADDRESS} if kind == "return_refund" else {})
        )
    if state == "return_in_transit":
        frozen.at(sh(2026, 11, 18, 15))
        ship_back = {"carrier": "ZTO", "tracking_no": "773312345679", "freight_fen": 800}
        case = b.ok(b.post(f"{path}/ship_return", ship_back))
    assert case["state"] == state, case
    frozen.at(sh(2026, 11, 19, 9))
    scene.case = case
    return scene


@dataclass(frozen=True)
class Bad:
    kind: str
    state: str
    caller: str
    action: str
    body: Callable[[dict[str, Any]], dict[str, Any]]
    status: int
    code: str
    # fields the problem+json body must carry, and numbers or names its detail must mention
    fields: Callable[[dict[str, Any]], dict[str, Any]] = lambda case: {}
    mentions: Callable[[dict[str, Any]], list[str]] = lambda case: []


def _apply_other(refund_fen: int) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda case: {
        "order_sn": case["order_sn"],
        "type": "refund_only",
        "reason_code": "damaged",
        "items": [{"sku": OTHER_SKU, "qty": 1}],
        "refund_fen": refund_fen,
    }


BAD_INPUTS = [
    pytest.param(
        Bad("return_refund", "awaiting_return", "buyer", "ship_return",
            lambda case: {"carrier": "XYZ", "tracking_no": "773312345679", "freight_fen": 800},
            422, "unknown_carrier", mentions=lambda case: ["XYZ"]),
        id="unknown-carrier-on-return",
    ),
    pytest.param(
        Bad("reship", "awaiting_shipment", "merchant", "ship",
            lambda case: {"carrier": "XYZ", "tracking_no": "773312345679"},
            422, "unknown_carrier", mentions=lambda case: ["XYZ"]),
        id="unknown-carrier-on-reship",
    ),
    pytest.param(
        Bad("return_refund", "awaiting_return", "buyer", "ship_return",
            lambda case: {"carrier": "ZTO", "tracking_no": "12345", "freight_fen": 800},
            422, "invalid_tracking_no", mentions=lambda case: ["12345", "ZTO"]),
        id="tracking-no-fits-no-format-on-return",
    ),
    pytest.param(
        Bad("reship", "awaiting_shipment", "merchant", "ship",
            lambda case: {"carrier": "SF", "tracking_no": "773312345679"},
            422, "invalid_tracking_no", mentions=lambda case: ["773312345679", "SF"]),
        id="tracking-no-fits-no-format-on-reship",
    ),
    pytest.param(
        Bad("return_refund", "rejected", "buyer", "reapply", lambda case: {"refund_fen": 1991},
            422, "amount_exceeds_refundable",
            fields=lambda case: {"requested_fen": 1991, "refundable_fen": 1990},
            mentions=lambda case: ["19.91", "19.90"]),
        id="refund-above-paid-on-reapply",
    ),
    pytest.param(
        Bad("return_refund", "pending_merchant", "buyer", "apply", _apply_other(991),
            422, "amount_exceeds_refundable",
            fields=lambda case: {"requested_fen": 991, "refundable_fen": 990},
            mentions=lambda case: ["9.91", "9.90"]),
        id="refund-above-paid-on-apply",
    ),
    pytest.param(
        Bad("return_refund", "rejected", "buyer", "reapply", lambda case: {"refund_fen": -100},
            422, "amount_exceeds_refundable", fields=lambda case: {"requested_fen": -100}),
        id="negative-refund-on-reapply",
    ),
    pytest.param(
        Bad("return_refund", "pending_merchant", "buyer", "apply", _apply_other(-100),
            422, "amount_exceeds_refundable", fields=lambda case: {"requested_fen": -100}),
        id="negative-refund-on-apply",
    ),
    pytest.param(
        Bad("return_refund", "awaiting_return", "buyer", "ship_return",
            lambda case: {"carrier": "ZTO", "tracking_no": "773312345679", "freight_fen": -800},
            422, "validation_error"),
        id="negative-return-freight",
    ),
    pytest.param(
        Bad("return_refund", "awaiting_return", "merchant", "receive_return", lambda case: {"accept": True},
            409, "action_not_allowed",
            fields=lambda case: {"state": "awaiting_return", "allowed_actions": []}),
        id="receive-before-the-buyer-ships",
    ),
    pytest.param(
        Bad("reship", "pending_merchant", "merchant", "ship",
            lambda case: {"carrier": "ZTO", "tracking_no": "773312345679"},
            409, "action_not_allowed",
            fields=lambda case: {"state": "pending_merchant", "allowed_actions": ["agree", "reject"]}),
        id="ship-before-agreeing",
    ),
    pytest.param(
        Bad("return_refund", "return_in_transit", "merchant", "receive_return",
            lambda case: {"accept": True, "version": case["version"] - 1},
            409, "stale_version",
            fields=lambda case: {"sent_version": case["version"] - 1, "current_version": case["version"]},
            mentions=lambda case: [str(case["version"] - 1), str(case["version"])]),
        id="stale-version-on-receive",
    ),
    pytest.param(
        Bad("reship", "pending_merchant", "merchant", "agree", lambda case: {"version": case["version"] - 1},
            409, "stale_version",
            fields=lambda case: {"sent_version": case["version"] - 1, "current_version": case["version"]}),
        id="stale-version-on-agree",
    ),
    pytest.param(
        Bad("return_refund", "return_in_transit", "other_shop", "receive_return", lambda case: {"accept": True},
            404, "not_found"),
        id="case-of-another-shop-on-receive",
    ),
    pytest.param(
        Bad("reship", "pending_merchant", "other_shop", "agree", lambda case: {}, 404, "not_found"),
        id="case-of-another-shop-on-agree",
    ),
    pytest.param(
        Bad("return_refund", "return_in_transit", "buyer", "receive_return", lambda case: {"accept": True},
            403, "forbidden", fields=lambda case: {"role": "buyer", "allowed_roles": ["merchant"]}),
        id="buyer-token-on-receive",
    ),
    pytest.param(
        Bad("reship", "pending_merchant", "buyer", "agree", lambda case: {}, 403, "forbidden",
            fields=lambda case: {"role": "buyer", "allowed_roles": ["merchant"]}),
        id="buyer-token-on-agree",
    ),
    pytest.param(
        Bad("return_refund", "awaiting_return", "platform", "ship_return",
            lambda case: {"carrier": "ZTO", "tracking_no": "773312345679"}, 403, "forbidden"),
        id="platform-token-on-ship-return",
    ),
]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_INPUTS)
def test_s13_bad_input_changes_nothing(api, db, frozen, bad):
    # given a case where the bad request could do harm
    scene = arrange(api, frozen, bad.kind, bad.state)
    before = scene.snapshot()

    # when the bad request comes
    refused = problem(scene.act(bad.caller, bad.action, bad.body(scene.case)), bad.status, bad.code)

    # then it is refused with its code, and says what was wrong
    for name, value in bad.fields(scene.case).items():
        assert refused[name] == value, refused
    for text in bad.mentions(scene.case):
        assert text in refused["detail"], refused
    # and the case, the stock, the money and the timeline are exactly as before
    after = scene.snapshot()
    for part in before:
        assert after[part] == before[part], part


def test_s13_same_key_with_a_different_body_changes_nothing(api, db, frozen):
    # given a returned parcel the merchant confirmed with an Idempotency-Key
    scene = arrange(api, frozen, "return_refund", "return_in_transit")
    first = scene.act("merchant", "receive_return", {"accept": True}, key="receive-7f3a")
    assert first.status_code == 200, first.text
    before = scene.snapshot()
    assert before["case"]["state"] == "refunded"

    # when the same key comes with a different body
    response = scene.act(
        "merchant", "receive_return", {"accept": False, "note": "包装破损"}, key="receive-7f3a"
    )

    # then it is refused, and nothing changed
    problem(response, 409, "idempotency_key_reused")
    after = scene.snapshot()
    for part in before:
        assert after[part] == before[part], part


def test_s13_same_key_with_a_different_body_keeps_the_stock(api, db, frozen):
    # given a reship the merchant agreed with an Idempotency-Key, which holds one phone case
    scene = arrange(api, frozen, "reship", "pending_merchant")
    first = scene.act("merchant", "agree", {}, key="agree-51c0")
    assert first.status_code == 200, first.text
    before = scene.snapshot()
    assert before["case"]["state"] == "awaiting_shipment"
    assert (before["stock"][CASE_SKU]["reserved"], before["stock"][CASE_SKU]["available"]) == (1, 9)

    # when the same key comes with another body
    response = scene.act("merchant", "agree", {"version": first.json()["version"]}, key="agree-51c0")

    # then it is refused, and the stock is held once
    problem(response, 409, "idempotency_key_reused")
    after = scene.snapshot()
    for part in before:
        assert after[part] == before[part], part


def test_s13_repeated_receipt_returns_the_first_answer_and_refunds_once(api, db, frozen):
    # given a returned parcel on its way to the merchant (the buyer paid 8.00 元 freight; quality problem)
    scene = arrange(api, frozen, "return_refund", "return_in_transit")
    m = scene.callers["merchant"]

    # when the merchant confirms receipt, and the request is sent again with the same key
    first = scene.act("merchant", "receive_return", {"accept": True}, key="receive-0001")
    again = scene.act("merchant", "receive_return", {"accept": True}, key="receive-0001")

    # then the repeat gets the first answer
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["state"] == "refunding"
    assert again.headers.get("Idempotent-Replayed") == "true"

    # when the refund settles and the request comes a third time
    frozen.advance(minutes=1)
    run_worker()
    third = scene.act("merchant", "receive_return", {"accept": True}, key="receive-0001")
    run_worker()

    # then it is still the first answer, and the buyer was paid once: 19.90 + 8.00 元
    assert third.status_code == 200
    assert third.json() == first.json()
    case = m.ok(m.get(f"/after-sales/{scene.case['id']}"))
    assert case["state"] == "refunded"
    assert case["refund"]["amount_fen"] == 2790
    assert case["refund"]["attempts"] == 1
    assert [c["refund"]["amount_fen"] for c in scene.cases_on_order()] == [2790]
    actions = [step[0] for step in timeline(m.ok(m.get(f"/after-sales/{scene.case['id']}/events")))]
    assert actions == ["apply", "agree", "ship_return", "receive_return:accept", "settle"]


def test_s13_repeated_instant_refund_application_refunds_once(api, world, frozen):
    # given an order not yet shipped (19.90 元 + 6.00 元 freight)
    buyer, token = world.buyer()
    order = make_order(world, buyer, shipped=False, freight_fen=600)
    b = api(token)
    body = {
        "order_sn": order.order_sn,
        "type": "refund_only",
        "reason_code": "ordered_by_mistake",
        "items": [{"sku": CASE_SKU, "qty": 1}],
    }

    # when the buyer's app sends the application twice with the same key (a retry after a timeout)
    first = b.post("/after-sales", body, key="apply-9d2e")
    again = b.post("/after-sales", body, key="apply-9d2e")
    frozen.advance(minutes=1)
    run_worker()

    # then both answers are the first one: one case, one refund of 25.90 元
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    cases = b.ok(b.get("/after-sales", order_sn=order.order_sn))["items"]
    assert [c["id"] for c in cases] == [first.json()["id"]]
    assert cases[0]["state"] == "refunded"
    assert cases[0]["refund"]["amount_fen"] == 2590
    assert b.ok(b.get(f"/orders/{order.order_sn}"))["after_sales_entry"]["applications_used"] == 1


@pytest.mark.skipif(
    IN_MEMORY_SQLITE, reason="the in-memory SQLite of a test run locks whole tables across threads"
)
def test_s13_concurrent_repeats_with_the_same_key_refund_once(api, db, frozen):
    # given a returned parcel on its way to the merchant
    scene = arrange(api, frozen, "return_refund", "return_in_transit")
    m = scene.callers["merchant"]
    clients = [api(scene.merchant_token) for _ in range(4)]

    # when four copies of the same receipt (same key) arrive at once
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(
                lambda client: client.post(
                    f"/after-sales/{scene.case['id']}/receive_return", {"accept": True}, key="receive-race"
                ),
                clients,
            )
        )
    frozen.advance(minutes=1)
    run_worker()

    # then every copy gets the same answer, and the buyer is paid once
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert all(a.json() == answers[0].json() for a in answers)
    case = m.ok(m.get(f"/after-sales/{scene.case['id']}"))
    assert case["state"] == "refunded"
    assert [c["refund"]["amount_fen"] for c in scene.cases_on_order()] == [2790]
    actions = [step[0] for step in timeline(m.ok(m.get(f"/after-sales/{scene.case['id']}/events")))]
    assert actions.count("receive_return:accept") == 1
    assert actions.count("settle") == 1
