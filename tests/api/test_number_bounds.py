"""Numbers past what the domain allows, and past what a column can hold: refused by name as bad input (422 with
the field, or a page's form error, or no page), never a server error, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DataError

from aftersales.api.main import api as the_api
from aftersales.catalog import services as catalog_services
from aftersales.catalog.models import Sku
from aftersales.core.bounds import MAX_FEN, MAX_ID
from aftersales.orders.models import Order
from tests.api.test_errors import assert_problem
from tests.factories import make_order, sh

HUGE = 10**30  # past 64 bits


def _integers(
    schema: dict[str, Any], components: dict[str, Any], where: str
) -> list[tuple[str, dict[str, Any]]]:
    """Every integer a request schema can carry, with where it is."""
    if "$ref" in schema:
        return _integers(components[schema["$ref"].rsplit("/", 1)[1]], components, where)
    found = []
    if schema.get("type") == "integer":
        found.append((where, schema))
    for key in ("anyOf", "oneOf", "allOf"):
        for k, part in enumerate(schema.get(key, [])):
            found += _integers(part, components, f"{where}|{k}")
    if "items" in schema:
        found += _integers(schema["items"], components, f"{where}[]")
    for name, prop in schema.get("properties", {}).items():
        found += _integers(prop, components, f"{where}.{name}")
    return found


def test_every_integer_a_request_may_carry_has_a_bound_a_column_holds() -> None:
    document = the_api.get_openapi_schema()
    components = document["components"]["schemas"]
    found: list[tuple[str, dict[str, Any]]] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                found += _integers(parameter["schema"], components, f"{where} {parameter['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found += _integers(content["schema"], components, f"{where} body")
    assert len(found) > 10, found  # money, quantities, stock, versions, ids, limits
    unbounded = [where for where, schema in found if not schema.get("maximum", MAX_ID + 1) <= MAX_ID]
    assert not unbounded, unbounded


@pytest.fixture
def scene(api: Any, world: Any, frozen: Any) -> Any:
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    return {"b": api(token), "m": api(world.merchant_token), "p": api(world.platform_token),
            "order_sn": order.order_sn, "world": world}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": "NEW-1", "name": "新品", "price_fen": HUGE, "stock": 1}, "price_fen"),
        ({"sku": "NEW-1", "name": "新品", "price_fen": MAX_FEN + 1, "stock": 1}, "price_fen"),
        ({"sku": "NEW-1", "name": "新品", "price_fen": 100, "stock": HUGE}, "stock"),
    ],
)
def test_a_sku_with_a_number_past_its_bound(scene: Any, body: dict[str, Any], field: str) -> None:
    problem = assert_problem(scene["m"].post("/skus", body), 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == [field]
    assert not Sku.objects.filter(sku="NEW-1").exists()


def test_a_stock_change_past_its_bound_leaves_the_stock(scene: Any) -> None:
    before = scene["m"].ok(scene["m"].get("/skus/PHONE-CASE"))
    for change in ({"stock_delta": HUGE}, {"stock_delta": -HUGE}, {"stock": HUGE}):
        problem = assert_problem(scene["m"].patch("/skus/PHONE-CASE", change), 422, "validation_error")
        assert [e["field"] for e in problem["errors"]] == list(change)
    assert scene["m"].ok(scene["m"].get("/skus/PHONE-CASE")) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"items": [{"sku": "PHONE-CASE", "qty": HUGE}]}, "items.0.qty"),
        ({"refund_fen": HUGE}, "refund_fen"),
    ],
)
def test_an_application_with_a_number_past_its_bound(
    scene: Any, overrides: dict[str, Any], field: str
) -> None:
    body = {"order_sn": scene["order_sn"], "type": "refund_only", "reason_code": "damaged",
            "items": [{"sku": "PHONE-CASE", "qty": 1}], **overrides}  # fmt: skip
    problem = assert_problem(scene["b"].post("/after-sales", body), 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == [field]
    assert scene["m"].ok(scene["m"].get("/after-sales", order_sn=scene["order_sn"]))["items"] == []


def test_a_case_id_past_what_a_key_holds(scene: Any) -> None:
    for request in (
        scene["m"].get(f"/after-sales/{HUGE}"),
        scene["m"].post(f"/after-sales/{HUGE}/agree", {}),
        scene["m"].get(f"/after-sales/{MAX_ID + 1}/events"),
    ):
        problem = assert_problem(request, 422, "validation_error")
        assert [e["field"] for e in problem["errors"]] == ["case_id"]
    # the largest id a key holds is looked up like any other, and is no case of this shop
    assert_problem(scene["m"].get(f"/after-sales/{MAX_ID}"), 404, "not_found")


def test_a_refund_event_for_an_id_past_what_a_key_holds(scene: Any) -> None:
    body = {"refund_id": HUGE, "status": "succeeded", "at": "2026-11-18T10:00:00+08:00"}
    problem = assert_problem(scene["p"].post("/payments/refund-events", body), 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == ["refund_id"]


def test_an_order_with_money_past_its_bound(scene: Any) -> None:
    body = {"order_sn": "BIG-1", "buyer_id": "buyer-big",
            "receiver": {"name": "李四", "phone": "13900001111", "address": "北京市朝阳区 1 号"},
            "items": [{"sku": "PHONE-CASE", "qty": 1, "unit_price_fen": HUGE}],
            "freight_fen": 0, "paid_fen": HUGE, "paid_at": "2026-11-10T09:00:00+08:00"}  # fmt: skip
    problem = assert_problem(scene["m"].post("/orders", body), 422, "validation_error")
    assert {e["field"] for e in problem["errors"]} == {"items.0.unit_price_fen", "paid_fen"}
    assert not Order.objects.filter(order_sn="BIG-1").exists()


@pytest.mark.parametrize("refusal", [DataError("value out of range"), OverflowError("int too large")])
def test_a_value_the_database_cannot_hold_is_bad_input(
    scene: Any, monkeypatch: Any, refusal: Exception
) -> None:
    # given a value that got past the schemas and that the database (or its driver) refuses
    def refuse(**_: Any) -> None:
        raise refusal

    monkeypatch.setattr(catalog_services, "create_sku", refuse)
    body = {"sku": "NEW-2", "name": "新品", "price_fen": 100, "stock": 1}
    # then it is bad input in the caller's language, not a server error
    problem = assert_problem(scene["m"].post("/skus", body), 422, "validation_error")
    assert problem["detail"] == "数值超出可保存的范围。"


@pytest.mark.parametrize(
    "at", ["9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00-12:00", "1999-12-31T23:59:59+08:00"]
)
def test_times_outside_this_century_are_refused_by_name(scene: Any, at: str) -> None:
    # an order paid then, a parcel's scan then, a refund settled then
    order = {"order_sn": "FAR-1", "buyer_id": "buyer-far",
             "receiver": {"name": "李四", "phone": "13900001111", "address": "北京市朝阳区 1 号"},
             "items": [{"sku": "PHONE-CASE", "qty": 1, "unit_price_fen": 1990}],
             "freight_fen": 0, "paid_fen": 1990, "paid_at": at}  # fmt: skip
    problem = assert_problem(scene["m"].post("/orders", order), 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == ["paid_at"]
    assert "2000-01-01" in problem["detail"] or "2100-01-01" in problem["detail"]
    assert not Order.objects.filter(order_sn="FAR-1").exists()
    scan = {"carrier": "SF", "tracking_no": "SF1234567890123", "status": "delivered", "at": at}
    problem = assert_problem(scene["p"].post("/logistics/events", scan), 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == ["at"]
    settled = {"refund_id": 1, "status": "succeeded", "at": at}
    problem = assert_problem(scene["p"].post("/payments/refund-events", settled), 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == ["at"]
