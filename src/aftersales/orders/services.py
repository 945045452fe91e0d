"""Order commands: create, ship, sign for, and the platform reopening an after-sales entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.accounts.models import Buyer
from aftersales.accounts.services import ensure_buyer
from aftersales.catalog.models import Sku
from aftersales.core import clock
from aftersales.core.actors import Actor
from aftersales.core.errors import NotFound, OrderExists, ValidationFailed
from aftersales.core.money import allocate
from aftersales.logistics.carriers import validate_tracking_no
from aftersales.orders.models import Order, OrderItem


@dataclass(frozen=True)
class ItemInput:
    sku: str
    qty: int
    unit_price_fen: int


@dataclass(frozen=True)
class Receiver:
    name: str
    phone: str
    address: str


def create_order(
    *,
    actor: Actor,
    order_sn: str,
    buyer_id: str,
    receiver: Receiver,
    items: list[ItemInput],
    freight_fen: int,
    paid_fen: int,
    paid_at: datetime,
    shipped_at: datetime | None = None,
    carrier: str | None = None,
    tracking_no: str | None = None,
    signed_at: datetime | None = None,
    return_freight_insured: bool = False,
) -> Order:
    if actor.shop_id is None:
        raise NotFound(what="shop")
    check_order_facts(
        items,
        freight_fen=freight_fen,
        paid_fen=paid_fen,
        paid_at=paid_at,
        shipped_at=shipped_at,
        signed_at=signed_at,
    )
    if carrier or tracking_no:
        validate_tracking_no(carrier or "", tracking_no or "")
    with transaction.atomic():
        if Order.objects.filter(order_sn=order_sn).exists():
            raise OrderExists(order_sn=order_sn)
        skus = {s.sku: s for s in Sku.objects.filter(shop_id=actor.shop_id, sku__in=[i.sku for i in items])}
        missing = sorted({i.sku for i in items} - skus.keys())
        if missing:
            raise ValidationFailed(
                field="items", message=_("unknown SKU in this shop: %(skus)s") % {"skus": ", ".join(missing)}
            )
        buyer: Buyer = ensure_buyer(buyer_id)
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    shop_id=actor.shop_id,
                    order_sn=order_sn,
                    buyer=buyer,
                    receiver_name=receiver.name,
                    receiver_phone=receiver.phone,
                    receiver_address=receiver.address,
                    freight_fen=freight_fen,
                    paid_fen=paid_fen,
                    paid_at=paid_at,
                    shipped_at=shipped_at or (signed_at if signed_at else None),
                    carrier=carrier or "",
                    tracking_no=tracking_no or "",
                    signed_at=signed_at,
                    return_freight_insured=return_freight_insured,
                    created_at=clock.now(),
                )
        except IntegrityError as exc:
            raise OrderExists(order_sn=order_sn) from exc
        shares = allocate(paid_fen - freight_fen, [i.unit_price_fen * i.qty for i in items])
        OrderItem.objects.bulk_create(
            OrderItem(
                shop_id=actor.shop_id,
                order=order,
                sku=skus[i.sku],
                sku_code=i.sku,
                qty=i.qty,
                unit_price_fen=i.unit_price_fen,
                paid_fen=share,
            )
            for i, share in zip(items, shares, strict=True)
        )
    return order


class ItemFacts(Protocol):
    """What the order checks read of a line: an ``ItemInput`` or an ``OrderLine`` as it was parsed."""

    @property
    def sku(self) -> str: ...
    @property
    def qty(self) -> int: ...
    @property
    def unit_price_fen(self) -> int: ...


def check_order_facts(
    items: Sequence[ItemFacts],
    *,
    freight_fen: int,
    paid_fen: int,
    paid_at: datetime,
    shipped_at: datetime | None,
    signed_at: datetime | None,
) -> None:
    """What any order must satisfy, however it arrives (HTTP or an import file)."""
    if (
        paid_at.tzinfo is None
        or (shipped_at is not None and shipped_at.tzinfo is None)
        or (signed_at is not None and signed_at.tzinfo is None)
    ):
        raise ValidationFailed(
            field="paid_at", message=_("times need an offset, e.g. 2026-11-15T10:00:00+08:00")
        )
    if not items:
        raise ValidationFailed(field="items", message=_("an order needs at least one item"))
    if len(items) > 1 and len({i.sku for i in items}) != len(items):
        raise ValidationFailed(
            field="items", message=_("each SKU appears once per order; add up the quantities")
        )
    goods = 0
    for i in items:
        if i.qty <= 0 or i.unit_price_fen < 0:
            raise ValidationFailed(
                field="items", message=_("quantities must be positive and prices not negative")
            )
        goods += i.qty * i.unit_price_fen
    if freight_fen < 0 or paid_fen < freight_fen or paid_fen > goods + freight_fen:
        raise ValidationFailed(
            field="paid_fen",
            message=_("paid_fen must be between freight_fen and the goods total plus freight"),
        )
    if shipped_at and shipped_at < paid_at:
        raise ValidationFailed(field="shipped_at", message=_("an order cannot ship before it is paid"))
    if signed_at and (signed_at < paid_at or (shipped_at and signed_at < shipped_at)):
        raise ValidationFailed(field="signed_at", message=_("an order cannot be signed for before it ships"))


def _own_order_for_update(actor: Actor, order_sn: str) -> Order:
    if actor.shop_id is None:
        raise NotFound(what="order")
    order = Order.objects.select_for_update().filter(order_sn=order_sn, shop_id=actor.shop_id).first()
    if order is None:
        raise NotFound(what="order")
    return order


def ship_order(
    *, actor: Actor, order_sn: str, carrier: str, tracking_no: str, at: datetime | None = None
) -> Order:
    validate_tracking_no(carrier, tracking_no)
    with transaction.atomic():
        order = _own_order_for_update(actor, order_sn)
        when = at or clock.now()
        if order.shipped_at is not None:
            raise ValidationFailed(field="order_sn", message=_("this order has already shipped"))
        if when < order.paid_at:
            raise ValidationFailed(field="at", message=_("an order cannot ship before it is paid"))
        order.shipped_at, order.carrier, order.tracking_no = when, carrier, tracking_no
        order.save(update_fields=["shipped_at", "carrier", "tracking_no"])
        return order


def sign_order(*, actor: Actor, order_sn: str, at: datetime | None = None) -> Order:
    with transaction.atomic():
        order = _own_order_for_update(actor, order_sn)
        when = at or clock.now()
        if order.shipped_at is None:
            raise ValidationFailed(field="order_sn", message=_("an order must ship before it is signed for"))
        if order.signed_at is not None:
            raise ValidationFailed(field="order_sn", message=_("this order has already been signed for"))
        if when < order.shipped_at:
            raise ValidationFailed(field="at", message=_("an order cannot be signed for before it ships"))
        order.signed_at = when
        order.save(update_fields=["signed_at"])
        return order
