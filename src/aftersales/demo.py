"""Demo data for ``aftersales serve --demo``: a shop, its staff, buyers, orders and cases in many states,
made through the same services a person would use, so every case has its timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction

from aftersales.accounts.models import Buyer, Membership, Shop
from aftersales.accounts.services import create_shop, create_token, create_user, ensure_buyer
from aftersales.cases import services as cases
from aftersales.catalog.services import create_sku
from aftersales.core import clock
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.orders.services import ItemInput, Receiver, create_order

SHOP = "demo-shop"
PASSWORD = "aftersales-demo"
USERS = (("merchant", MERCHANT), ("buyer", BUYER), ("platform", PLATFORM))
RETURN_ADDRESS = {
    "name": "售后部 王经理",
    "phone": "13800001111",
    "address": "浙江省杭州市余杭区仓前街道 1 号仓",
}
SKUS = (
    ("PHONE-CASE-01", "手机壳 iPhone 15 透明", 1990, 120, True),
    ("CABLE-USB-C", "USB-C 数据线 1 米", 1290, 40, True),
    ("TEA-LONGJING", "明前龙井 250g", 8800, 15, False),
    ("SOCKS-5P", "纯棉袜子 5 双装", 2990, 0, True),
)


def _logins(shop: Shop) -> list[dict[str, Any]]:
    out = []
    for name, role in USERS:
        membership = Membership.objects.select_related("buyer").get(user__username=f"demo-{name}")
        _, token = create_token(role=role, shop=shop, buyer=membership.buyer, name=f"demo-{name}")
        out.append({"role": role, "username": f"demo-{name}", "password": PASSWORD, "token": token})
    return out


def fill() -> dict[str, Any]:
    """Fill an empty database; on a database that has the demo already, only hand out fresh API tokens."""
    existing = Shop.objects.filter(code=SHOP).first()
    if existing is not None:
        return {"created": False, "shop": SHOP, "logins": _logins(existing)}
    if Shop.objects.exists():
        return {"created": False, "shop": None, "logins": []}
    with transaction.atomic():
        shop = create_shop(SHOP, name="拼拼演示小店", default_return_address=RETURN_ADDRESS)
        for name, role in USERS:
            create_user(f"demo-{name}", password=PASSWORD, role=role, shop=shop, buyer_id="demo-buyer")
        _cases(shop)
    clock.unfreeze()
    return {"created": True, "shop": SHOP, "logins": _logins(shop)}


def _cases(shop: Shop) -> None:
    real_now = clock.now()
    merchant = Actor(role=MERCHANT, id="demo-merchant", shop_id=shop.pk)
    platform = Actor(role=PLATFORM, id="demo-platform")
    buyer_row = Buyer.objects.get(external_id="demo-buyer")
    buyer = Actor(role=BUYER, id="demo-buyer", buyer_id=buyer_row.pk)
    for sku, name, price, stock, no_reason in SKUS:
        create_sku(
            actor=merchant, sku=sku, name=name, price_fen=price, stock=stock, no_reason_return=no_reason
        )

    def order(n: int, sku: str, price: int, buyer_id: str, days_ago: int = 3, shipped: bool = True) -> str:
        sn = f"DEMO-{real_now:%y%m%d}-{n:04d}"
        paid = real_now - timedelta(days=days_ago + 2)
        create_order(
            actor=merchant, order_sn=sn, buyer_id=buyer_id,
            receiver=Receiver("张三", "13812345678", "上海市浦东新区世纪大道 100 号 8 楼"),
            items=[ItemInput(sku, 1, price)], freight_fen=0, paid_fen=price, paid_at=paid,
            shipped_at=paid + timedelta(days=1) if shipped else None,
            carrier="ZTO" if shipped else None, tracking_no="778899001122" if shipped else None,
            signed_at=real_now - timedelta(days=days_ago) if shipped else None,
        )  # fmt: skip
        return sn

    def case(
        n: int, kind: str, reason: str, steps: Callable[[int, Actor], object] | None = None, **kw: Any
    ) -> None:
        # The demo buyer owns a few cases; the others belong to other buyers, as in a real shop.
        who = buyer if n in (1, 2, 5, 6, 11) else _other_buyer(n)
        sn = order(n, kw.pop("sku", "PHONE-CASE-01"), kw.pop("price", 1990), who.id, **kw)
        clock.freeze(real_now - timedelta(hours=30 - n))
        created = cases.apply(
            cases.Application(sn, kind, reason, [cases.ItemRequest(_sku(sn), 1)], description="演示申请"),
            actor=who,
        )
        if steps is not None:
            clock.advance(timedelta(hours=2))
            steps(created.pk, who)

    def _other_buyer(n: int) -> Actor:
        row = ensure_buyer(f"buyer-{n:03d}", name=f"买家{n}")
        return Actor(role=BUYER, id=row.external_id, buyer_id=row.pk)

    def _sku(sn: str) -> str:
        from aftersales.orders.models import OrderItem

        return OrderItem.objects.filter(order__order_sn=sn).values_list("sku_code", flat=True).get()

    case(1, "return_refund", "quality_issue")
    case(2, "refund_only", "not_received", sku="CABLE-USB-C", price=1290)
    case(
        3,
        "return_refund",
        "no_longer_needed",
        lambda c, b: cases.reject(c, actor=merchant, reason="商品已拆封影响二次销售"),
    )
    case(4, "return_refund", "damaged", lambda c, b: cases.agree(c, actor=merchant))
    case(
        5,
        "return_refund",
        "quality_issue",
        lambda c, b: (
            cases.agree(c, actor=merchant),
            cases.ship_return(c, actor=b, carrier="SF", tracking_no="SF1234567890123", freight_fen=800),
        ),
    )
    case(
        6,
        "refund_only",
        "damaged",
        lambda c, b: (
            cases.reject(c, actor=merchant, reason="外观无损"),
            cases.escalate(c, actor=b, reason="收到时外盒已破"),
        ),
        sku="CABLE-USB-C",
        price=1290,
    )
    case(7, "refund_only", "wrong_item", lambda c, b: cases.agree(c, actor=merchant))
    case(8, "refund_only", "ordered_by_mistake", lambda c, b: cases.cancel(c, actor=b))
    case(
        9,
        "refund_only",
        "quality_issue",
        lambda c, b: (
            cases.reject(c, actor=merchant, reason="未见质量问题"),
            cases.escalate(c, actor=b, reason="有照片为证"),
            cases.decide(c, actor=platform, decision="reject", note="证据不足"),
        ),
    )
    case(10, "refund_only", "not_received", shipped=False)
    case(11, "reship", "missing_item", sku="SOCKS-5P", price=2990)
    clock.unfreeze()
