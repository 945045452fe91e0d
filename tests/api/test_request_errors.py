"""A request the API's schemas refuse, a body it cannot read, a path it does not have, a method a path does not
take: each answered as problem+json in the caller's language (Chinese by default, English on request), through
the real HTTP server, with the field and the check's type for a program to read."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.test_errors import assert_problem
from tests.factories import make_order, make_sku, sh

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def by_field(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["field"]: e for e in body["errors"]}


@pytest.fixture
def scene(api: Any, world: Any, frozen: Any) -> Any:
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    return {
        "b": api(token),
        "b_en": api(token, lang="en"),
        "m": api(world.merchant_token),
        "m_en": api(world.merchant_token, lang="en"),
        "order_sn": order.order_sn,
        "world": world,
    }


def test_schema_errors_are_chinese_by_default(scene: Any) -> None:
    # when the application misses its type and reason and names no items
    response = scene["b"].post("/after-sales", {"order_sn": scene["order_sn"], "items": []})
    # then each field's message is a Chinese sentence, with no English word of pydantic's left in it
    body = assert_problem(response, 422, "validation_error")
    errors = by_field(body)
    assert errors["type"]["type"] == "missing"
    assert errors["items"]["type"] == "too_short"
    for field in ("type", "reason_code", "items"):
        message = errors[field]["message"]
        assert CJK.search(message), message
        assert not LATIN_WORD.search(message), message
    assert "1" in errors["items"]["message"]  # at least one item
    assert CJK.search(body["detail"])
    assert "Field required" not in body["detail"]


def test_schema_errors_in_english_on_request(scene: Any) -> None:
    response = scene["b_en"].post("/after-sales", {"order_sn": scene["order_sn"], "items": []})
    body = assert_problem(response, 422, "validation_error")
    errors = by_field(body)
    assert errors["type"]["message"] == "This field is required."
    assert errors["items"]["message"] == "Too few items: the least number is 1."
    assert not CJK.search(body["title"] + body["detail"])


@pytest.mark.parametrize(
    ("price", "kind", "zh", "en"),
    [
        (-5, "greater_than_equal", "不能小于 0", "Must be at least 0."),
        (
            1.5,
            "int_from_float",
            "整数",
            "Must be a whole number, without a fractional part (money is in fen).",
        ),
        ("abc", "int_parsing", "整数", "Must be a whole number."),
    ],
)
def test_a_bad_number_names_its_check(scene: Any, price: Any, kind: str, zh: str, en: str) -> None:
    body = {"sku": "NEW-1", "name": "新品", "price_fen": price, "stock": 1}
    zh_body = assert_problem(scene["m"].post("/skus", body), 422, "validation_error")
    en_body = assert_problem(scene["m_en"].post("/skus", body), 422, "validation_error")
    assert by_field(zh_body)["price_fen"]["type"] == kind
    assert zh in by_field(zh_body)["price_fen"]["message"]
    assert by_field(en_body)["price_fen"]["message"] == en
    # and nothing was made
    assert scene["m"].get("/skus/NEW-1").status_code == 404


def test_a_value_outside_a_list_names_the_values_allowed(scene: Any) -> None:
    make_sku(scene["world"], "PHONE-CASE-2")
    body = {"order_sn": scene["order_sn"], "type": "gift", "reason_code": "damaged",
            "items": [{"sku": "PHONE-CASE", "qty": 1}]}  # fmt: skip
    zh = by_field(assert_problem(scene["b"].post("/after-sales", body), 422, "validation_error"))["type"]
    en = by_field(assert_problem(scene["b_en"].post("/after-sales", body), 422, "validation_error"))["type"]
    assert zh["type"] == "literal_error"
    for value in ("refund_only", "return_refund", "exchange", "reship"):
        assert value in zh["message"]
        assert value in en["message"]
    assert " or " not in zh["message"]
    assert en["message"].startswith("Must be one of ")


def test_a_body_that_is_not_json(scene: Any) -> None:
    broken = {"content": b'{"sku": "A', "headers": {"Content-Type": "application/json"}}
    chinese = assert_problem(scene["m"].http.post("/skus", **broken), 422, "validation_error")
    english = assert_problem(scene["m_en"].http.post("/skus", **broken), 422, "validation_error")
    assert chinese["detail"] == "无法读取请求正文：请以 Content-Type: application/json 发送 JSON。"
    assert english["detail"] == (
        "The request body could not be read: send JSON with Content-Type: application/json."
    )
    # without saying it is JSON, too
    assert CJK.search(
        assert_problem(scene["m"].http.post("/skus", content=b"{"), 422, "validation_error")["detail"]
    )


def test_a_path_the_api_does_not_have(scene: Any) -> None:
    # an action that does not exist, and a path that does not
    for path in ("/after-sales/1/frobnicate", "/no-such-thing"):
        zh = assert_problem(scene["m"].post(path, {}), 404, "not_found")
        en = assert_problem(scene["m_en"].post(path, {}), 404, "not_found")
        assert CJK.search(zh["detail"]), zh
        assert zh["path"] == "/api/v1" + path
        assert en["detail"] == f"The API has no /api/v1{path}; its paths are listed at /api/v1/docs."
    # without a token too: the path is unknown whoever asks
    assert_problem(scene["m"].http.get("/no-such-thing", headers={"Authorization": ""}), 404, "not_found")


def test_a_method_a_path_does_not_take(scene: Any) -> None:
    zh = scene["m"].get("/after-sales/1/agree")
    body = assert_problem(zh, 405, "method_not_allowed")
    assert zh.headers["allow"] == "POST"
    assert body["allowed_methods"] == ["POST"]
    assert CJK.search(body["title"] + body["detail"])
    en = assert_problem(scene["m_en"].http.delete("/after-sales"), 405, "method_not_allowed")
    assert en["title"] == "Method not allowed"
    assert en["detail"] == "DELETE is not accepted here; this path takes GET, POST."


def test_pages_keep_their_own_not_found_page(client: Any, db: Any) -> None:
    response = client.get("/workbench/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
