"""HTTP: orders (merchant creates, ships, signs; all read; platform reopens the after-sales entry)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from aftersales.api.auth import actor_of, require
from aftersales.cases.queries import order_entry
from aftersales.core import clock
from aftersales.core.actors import MERCHANT, PLATFORM, Actor
from aftersales.core.bounds import Fen, Instant
from aftersales.orders import queries, services
from aftersales.orders.shapes import OrderLine, Receiver
from aftersales.risk.services import reopen_entry

router = Router(tags=["orders"])


class OrderIn(Schema):
    order_sn: str = Field(min_length=1, max_length=64)
    buyer_id: str = Field(min_length=1, max_length=64)
    receiver: Receiver
    items: list[OrderLine] = Field(min_length=1)
    freight_fen: Fen = 0
    paid_fen: Fen
    paid_at: Instant
    shipped_at: Instant | None = None
    carrier: str | None = None
    tracking_no: str | None = None
    signed_at: Instant | None = None
    return_freight_insured: bool = False


class ShipIn(Schema):
    carrier: str
    tracking_no: str
    at: Instant | None = None


class SignIn(Schema):
    at: Instant | None = None


class ReopenIn(Schema):
    note: str = Field(min_length=1, max_length=1000)


class EntryOut(Schema):
    open: bool
    closed_reason: str | None
    applications_used: int
    applications_left: int
    window_ends_at: str | None


class OrderOut(Schema):
    order_sn: str
    shop: str
    buyer_id: str
    receiver: dict[str, str]
    items: list[dict[str, Any]]
    freight_fen: int
    paid_fen: int
    paid_at: str | None
    shipped_at: str | None
    carrier: str | None
    tracking_no: str | None
    signed_at: str | None
    return_freight_insured: bool
    after_sales_entry: EntryOut


def _view(order_sn: str, actor: Actor) -> dict[str, Any]:
    order = queries.get_order(order_sn, actor)
    return {**queries.order_view(order, actor), "after_sales_entry": order_entry(order, now=clock.now())}


def _aware(value: datetime | None) -> datetime | None:
    from aftersales.core.errors import ValidationFailed

    if value is not None and value.tzinfo is None:
        raise ValidationFailed(
            field="time", message=_("times need an offset, e.g. 2026-11-15T10:00:00+08:00")
        )
    return value


@router.post("/orders", response={201: OrderOut})
def create_order(request: HttpRequest, body: OrderIn) -> Status[dict[str, Any]]:
    actor = require(request, MERCHANT)
    paid_at = _aware(body.paid_at)
    assert paid_at is not None
    order = services.create_order(
        actor=actor,
        order_sn=body.order_sn,
        buyer_id=body.buyer_id,
        receiver=services.Receiver(**body.receiver.model_dump()),
        items=[services.ItemInput(**i.model_dump()) for i in body.items],
        freight_fen=body.freight_fen,
        paid_fen=body.paid_fen,
        paid_at=paid_at,
        shipped_at=_aware(body.shipped_at),
        carrier=body.carrier,
        tracking_no=body.tracking_no,
        signed_at=_aware(body.signed_at),
        return_freight_insured=body.return_freight_insured,
    )
    return Status(201, _view(order.order_sn, actor))


@router.get("/orders/{order_sn}", response=OrderOut)
def get_order(request: HttpRequest, order_sn: str) -> dict[str, Any]:
    return _view(order_sn, actor_of(request))


@router.post("/orders/{order_sn}/ship", response=OrderOut)
def ship_order(request: HttpRequest, order_sn: str, body: ShipIn) -> dict[str, Any]:
    actor = require(request, MERCHANT)
    services.ship_order(
        actor=actor, order_sn=order_sn, carrier=body.carrier, tracking_no=body.tracking_no, at=_aware(body.at)
    )
    return _view(order_sn, actor)


@router.post("/orders/{order_sn}/sign", response=OrderOut)
def sign_order(request: HttpRequest, order_sn: str, body: SignIn | None = None) -> dict[str, Any]:
    actor = require(request, MERCHANT)
    services.sign_order(actor=actor, order_sn=order_sn, at=_aware(body.at if body else None))
    return _view(order_sn, actor)


@router.post("/orders/{order_sn}/reopen-entry", response=OrderOut)
def reopen(request: HttpRequest, order_sn: str, body: ReopenIn) -> dict[str, Any]:
    actor = require(request, PLATFORM)
    reopen_entry(actor=actor, order_sn=order_sn, note=body.note)
    return _view(order_sn, actor)
