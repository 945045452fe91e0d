"""Read side for orders."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aftersales.core.actors import BUYER, MERCHANT, Actor
from aftersales.core.errors import NotFound
from aftersales.orders.models import Order


def get_order(order_sn: str, actor: Actor) -> Order:
    order = Order.objects.select_related("shop", "buyer").filter(order_sn=order_sn).first()
    if order is None:
        raise NotFound(what="order")
    if actor.role == MERCHANT and order.shop_id != actor.shop_id:
        raise NotFound(what="order")
    if actor.role == BUYER and order.buyer_id != actor.buyer_id:
        raise NotFound(what="order")
    return order


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_address(address: str) -> str:
    keep = min(6, len(address) // 2)
    return address[:keep] + "****"


def order_view(order: Order, actor: Actor) -> dict[str, Any]:
    """The order; the receiver's phone and address are shown in full only to the order's merchant (who ships
    to them) and to the buyer themself."""
    tz = ZoneInfo(order.shop.time_zone)
    full = actor.role in (MERCHANT, BUYER)

    def at(value: Any) -> str | None:
        return value.astimezone(tz).isoformat() if value is not None else None

    return {
        "order_sn": order.order_sn,
        "shop": order.shop.code,
        "buyer_id": order.buyer.external_id,
        "receiver": {
            "name": order.receiver_name,
            "phone": order.receiver_phone if full else mask_phone(order.receiver_phone),
            "address": order.receiver_address if full else mask_address(order.receiver_address),
        },
        "items": [
            {"sku": i.sku_code, "qty": i.qty, "unit_price_fen": i.unit_price_fen, "paid_fen": i.paid_fen}
            for i in order.items.order_by("id")
        ],
        "freight_fen": order.freight_fen,
        "paid_fen": order.paid_fen,
        "paid_at": at(order.paid_at),
        "shipped_at": at(order.shipped_at),
        "carrier": order.carrier or None,
        "tracking_no": order.tracking_no or None,
        "signed_at": at(order.signed_at),
        "return_freight_insured": order.return_freight_insured,
    }
