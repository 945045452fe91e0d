"""Test data made through the real services, so every row is one the product could have written."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aftersales.accounts.models import Shop
from aftersales.accounts.services import create_shop, create_token, ensure_buyer
from aftersales.catalog.services import create_sku
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.orders.models import Order
from aftersales.orders.services import ItemInput, Receiver, create_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
RETURN_ADDRESS = {"name": "售后部", "phone": "13800001111", "address": "杭州市余杭区仓前街道 1 号"}
_seq = itertools.count(1)


def sh(*args: int) -> datetime:
    """A time in Asia/Shanghai: ``sh(2026, 11, 15, 10)``."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@dataclass
class World:
    shop: Shop
    merchant: Actor
    merchant_token: str
    platform: Actor
    platform_token: str

    def buyer(self, external_id: str | None = None) -> tuple[Actor, str]:
        row = ensure_buyer(external_id or f"buyer-{next(_seq)}")
        _, token = create_token(role=BUYER, buyer=row)
        return Actor(role=BUYER, id=row.external_id, buyer_id=row.pk), token


def make_world(code: str | None = None, *, default_return_address: dict[str, str] | None = None) -> World:
    shop = create_shop(
        code or f"shop-{next(_seq)}", name="测试小店", default_return_address=default_return_address
    )
    _, m_token = create_token(role=MERCHANT, shop=shop, name="客服小王")
    _, p_token = create_token(role=PLATFORM, name="平台小李")
    return World(
        shop=shop,
        merchant=Actor(role=MERCHANT, id="客服小王", shop_id=shop.pk),
        merchant_token=m_token,
        platform=Actor(role=PLATFORM, id="平台小李"),
        platform_token=p_token,
    )


def make_sku(world: World, sku: str = "PHONE-CASE", *, price_fen: int = 1990, stock: int = 10,
             no_reason_return: bool = True) -> str:  # fmt: skip
    create_sku(
        actor=world.merchant,
        sku=sku,
        name=sku,
        price_fen=price_fen,
        stock=stock,
        no_reason_return=no_reason_return,
    )
    return sku


def make_order(
    world: World,
    buyer: Actor,
    *,
    items: list[tuple[str, int, int]] | None = None,
    freight_fen: int = 0,
    paid_at: datetime | None = None,
    shipped: bool = True,
    signed_at: datetime | None = None,
    insured: bool = False,
    order_sn: str | None = None,
) -> Order:
    """An order for ``buyer``; ``items`` are (sku, qty, unit_price_fen), created in the catalogue if new."""
    items = items or [("PHONE-CASE", 1, 1990)]
    from aftersales.catalog.models import Sku

    for sku, _, price in items:
        if not Sku.objects.filter(shop=world.shop, sku=sku).exists():
            make_sku(world, sku, price_fen=price)
    signed = signed_at if shipped else None
    paid = paid_at or ((signed - timedelta(days=2)) if signed else sh(2026, 11, 1, 9))
    return create_order(
        actor=world.merchant,
        order_sn=order_sn or f"SN{next(_seq):08d}",
        buyer_id=buyer.id,
        receiver=Receiver("张三", "13812345678", "上海市浦东新区世纪大道 100 号"),
        items=[ItemInput(sku, qty, price) for sku, qty, price in items],
        freight_fen=freight_fen,
        paid_fen=sum(q * p for _, q, p in items) + freight_fen,
        paid_at=paid,
        shipped_at=(paid + timedelta(hours=12)) if shipped else None,
        carrier="ZTO" if shipped else None,
        tracking_no="773312345678" if shipped else None,
        signed_at=signed,
        return_freight_insured=insured,
    )
