"""HTTP: carrier webhook (platform token) and the merchant's shipping list."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from aftersales.api.auth import require
from aftersales.core.actors import MERCHANT, PLATFORM
from aftersales.core.bounds import Instant
from aftersales.logistics import queries
from aftersales.logistics.services import record_carrier_event

router = Router(tags=["logistics"])


class CarrierEventIn(Schema):
    carrier: str = Field(min_length=1, max_length=16)
    tracking_no: str = Field(min_length=1, max_length=64)
    status: Literal["picked_up", "in_transit", "delivered"]
    at: Instant | None = None


class CarrierEventOut(Schema):
    shipments: int
    cases: list[int]


@router.post("/logistics/events", response={202: CarrierEventOut})
def carrier_event(request: HttpRequest, body: CarrierEventIn) -> Status[dict[str, Any]]:
    actor = require(request, PLATFORM)
    applied = record_carrier_event(
        actor=actor, carrier=body.carrier, tracking_no=body.tracking_no, status=body.status, at=body.at
    )
    return Status(202, {"shipments": applied.shipments, "cases": applied.cases})


@router.get("/shipping")
def shipping(request: HttpRequest) -> dict[str, Any]:
    actor = require(request, MERCHANT)
    return queries.shipping_list(actor.shop_id or 0)
