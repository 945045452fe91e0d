"""The case endpoints send bodies they build themselves, without validating them through ``CaseOut`` again:
what they send must be, byte for byte, what django-ninja sends after validating the same data, for every
caller and for cases with and without a refund, parcels, a rating and risk flags."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from aftersales.api.rendering import shaped
from aftersales.cases import services
from aftersales.cases.api import CaseOut, CasePage
from aftersales.reviews import services as reviews
from tests.factories import make_order, sh
from tests.reviews.support import refund_only, refunded


def _client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="zh-hans")


def _as_validated(schema: Any, body: bytes) -> bytes:
    """What ninja sends for ``body`` after validating it against ``schema``."""
    return bytes(shaped(schema.model_validate(json.loads(body)).model_dump()).content)


def _order(world: Any, buyer: Any, sku: str) -> Any:
    return make_order(world, buyer, items=[(sku, 1, 1990)], signed_at=sh(2026, 11, 16, 10))


@pytest.fixture
def cases(world: Any, frozen: Any) -> dict[str, Any]:
    """A buyer's cases at several points: waiting on the merchant (after two applications for the same SKU,
    so the merchant sees a risk flag), a return on its way back, a refund paid and rated."""
    buyer, token = world.buyer()
    signed = sh(2026, 11, 16, 10)
    first = refund_only(buyer, make_order(world, buyer, signed_at=signed))
    services.cancel(first.pk, actor=buyer)
    waiting = refund_only(buyer, make_order(world, buyer, signed_at=signed))
    returning = services.apply(
        services.Application(
            _order(world, buyer, "CABLE").order_sn,
            "return_refund",
            "quality_issue",
            [services.ItemRequest("CABLE", 1)],
        ),
        actor=buyer,
    )
    services.agree(returning.pk, actor=world.merchant)
    services.ship_return(returning.pk, actor=buyer, carrier="SF", tracking_no="SF1234567890123")
    rated = refunded(world, buyer, _order(world, buyer, "CHARGER"), sku="CHARGER")
    reviews.evaluate(rated.pk, actor=buyer, score=4, tags=[], comment="不错")
    unrated = refunded(world, buyer, _order(world, buyer, "FILM"), sku="FILM")
    return {
        "ids": [first.pk, waiting.pk, returning.pk, rated.pk, unrated.pk],
        "callers": {
            "buyer": _client(token),
            "merchant": _client(world.merchant_token),
            "platform": _client(world.platform_token),
        },
    }


@pytest.mark.parametrize("caller", ["buyer", "merchant", "platform"])
def test_case_body_is_what_the_schema_gives(cases: dict[str, Any], caller: str) -> None:
    # given each case, as each caller reads it
    client = cases["callers"][caller]
    for case_id in cases["ids"]:
        # when
        response = client.get(f"/api/v1/after-sales/{case_id}")
        # then the body is the schema's, byte for byte, with the type ninja gives it
        assert response.status_code == 200, response.content
        assert response.content == _as_validated(CaseOut, response.content)
        assert response["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("caller", ["buyer", "merchant", "platform"])
def test_queue_page_body_is_what_the_schema_gives(cases: dict[str, Any], caller: str) -> None:
    # given
    client = cases["callers"][caller]
    # when the caller reads the queue in pages of two
    response = client.get("/api/v1/after-sales", {"limit": 2, "sort": "-created"})
    # then
    assert response.status_code == 200, response.content
    assert response.json()["next_cursor"] is not None
    assert response.content == _as_validated(CasePage, response.content)


def test_bodies_carry_what_the_schema_shows_for_each_caller(cases: dict[str, Any]) -> None:
    # given the cases of the fixture
    _, waiting, returning, rated, unrated = cases["ids"]
    by = cases["callers"]
    # when
    as_merchant = by["merchant"].get(f"/api/v1/after-sales/{waiting}").json()
    as_buyer = by["buyer"].get(f"/api/v1/after-sales/{waiting}").json()
    parcel = by["buyer"].get(f"/api/v1/after-sales/{returning}").json()
    # then staff see the risk flag, the buyer does not; the parcel and the refunds are there; only an unrated
    # finished case offers its buyer to rate it
    assert "repeated_sku" in [flag["code"] for flag in as_merchant["risk_flags"]]
    assert "risk_flags" not in as_buyer
    assert parcel["return_shipment"]["tracking_no"] == "SF1234567890123"
    assert parcel["items"] == [{"sku": "CABLE", "qty": 1}]
    assert by["buyer"].get(f"/api/v1/after-sales/{rated}").json()["refund"]["status"] == "succeeded"
    assert "evaluate" not in by["buyer"].get(f"/api/v1/after-sales/{rated}").json()["allowed_actions"]
    assert "evaluate" in by["buyer"].get(f"/api/v1/after-sales/{unrated}").json()["allowed_actions"]
    assert "evaluate" not in by["merchant"].get(f"/api/v1/after-sales/{unrated}").json()["allowed_actions"]


def test_action_answers_the_case_as_it_now_is(world: Any, frozen: Any) -> None:
    # given a refund-only case waiting on the merchant
    buyer, _ = world.buyer()
    case = refund_only(buyer, make_order(world, buyer, signed_at=sh(2026, 11, 16, 10)))
    merchant = _client(world.merchant_token)
    # when the merchant agrees
    answer = merchant.post(f"/api/v1/after-sales/{case.pk}/agree", {}, content_type="application/json")
    # then the answer is the case read afterwards, refund started, in the schema's shape
    assert answer.status_code == 200, answer.content
    assert answer.content == merchant.get(f"/api/v1/after-sales/{case.pk}").content
    assert answer.content == _as_validated(CaseOut, answer.content)
    assert answer.json()["state"] == "refunding"
    assert answer.json()["refund"]["amount_fen"] == 1990


def test_application_answers_201_with_the_new_case(world: Any, frozen: Any) -> None:
    # given
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    body = {"order_sn": order.order_sn, "type": "refund_only", "reason_code": "damaged",
            "items": [{"sku": "PHONE-CASE", "qty": 1}]}  # fmt: skip
    # when
    answer = _client(token).post("/api/v1/after-sales", body, content_type="application/json")
    # then
    assert answer.status_code == 201, answer.content
    assert answer.content == _as_validated(CaseOut, answer.content)
    assert answer.json()["state"] == "pending_merchant"


def test_chinese_text_is_sent_as_utf8_not_escaped(cases: dict[str, Any]) -> None:
    # given a case whose risk flag explains itself in Chinese
    waiting = cases["ids"][1]
    # when the merchant reads it
    response = cases["callers"]["merchant"].get(f"/api/v1/after-sales/{waiting}")
    # then the characters travel as UTF-8
    assert "买家".encode() in response.content
    assert b"\\u" not in response.content
