"""``aftersales serve --demo`` fills an empty database with cases in every state, and its logins work."""

from __future__ import annotations

from typing import Any

from django.test import Client

from aftersales import demo
from aftersales.cases.models import AfterSale
from aftersales.chat.models import ReplyTemplate
from aftersales.risk.models import RiskRecord


def test_demo_fills_every_state_and_its_logins_open_their_pages(db: Any) -> None:
    result = demo.fill()

    assert result["created"] is True
    assert {login["username"] for login in result["logins"]} == {
        "demo-merchant",
        "demo-buyer",
        "demo-platform",
    }
    seen = set(AfterSale.objects.values_list("type", "state"))
    for wanted in [
        ("reship", "awaiting_buyer_confirmation"), ("reship", "awaiting_shipment"),
        ("reship", "replacement_in_transit"), ("reship", "completed"), ("reship", "pending_merchant"),
        ("exchange", "awaiting_return"), ("exchange", "awaiting_shipment"),
        ("exchange", "replacement_in_transit"), ("exchange", "completed"),
        ("return_refund", "pending_merchant"), ("return_refund", "awaiting_return"),
        ("return_refund", "return_in_transit"), ("return_refund", "rejected"),
        ("return_refund", "refunded"), ("return_refund", "platform_review"),
        ("refund_only", "refunding"), ("refund_only", "platform_review"), ("refund_only", "closed"),
    ]:  # fmt: skip
        assert wanted in seen, wanted
    assert ReplyTemplate.objects.count() >= 3
    assert RiskRecord.objects.count() == 1
    for username, home in (
        ("demo-merchant", "/workbench/"),
        ("demo-buyer", "/buyer/"),
        ("demo-platform", "/platform/"),
    ):
        client = Client()
        assert client.login(username=username, password=demo.PASSWORD)
        assert client.get("/")["Location"] == home
        assert client.get(home).status_code == 200


def test_demo_on_a_filled_database_only_hands_out_tokens(db: Any) -> None:
    demo.fill()
    count = AfterSale.objects.count()

    again = demo.fill()

    assert again["created"] is False
    assert AfterSale.objects.count() == count
    assert len(again["logins"]) == 3
