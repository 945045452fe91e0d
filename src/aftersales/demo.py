"""Demo data for ``aftersales serve --demo``: a shop, its staff, buyers, orders and cases in every state of
every type, chats with cards, reply templates and an abuse record, made through the same services a
person would use, so every case has its timeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from aftersales.accounts.models import Buyer, Membership, Shop
from aftersales.accounts.services import create_shop, create_token, create_user, ensure_buyer
from aftersales.cases import services as cases
from aftersales.cases.services.payment import record_refund_outcome
from aftersales.catalog.services import create_sku
from aftersales.chat import services as chat
from aftersales.core import clock
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.core.errors import EntryClosed
from aftersales.orders.services import ItemInput, Receiver, create_order
from aftersales.refunds.models import Refund

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
TEMPLATES = (
    ("问候", "亲，您好！我是店铺客服，关于订单 {order_sn} 的售后马上为您处理，请稍等。"),
    ("同意退货", "亲，已同意退货，请在 {deadline} 前寄回，质量问题的退货运费由我们承担。"),
    ("补寄单号", "亲，补寄的商品已发出：{carrier} {tracking_no}，请注意查收，有问题随时联系我们。"),
    ("退款已发起", "亲，退款 {amount} 元已发起，1-3 个工作日原路到账。"),
)
# Cases the demo buyer owns, so that logging in as demo-buyer shows something to do in every step (at most
# two per SKU, so that the buyer can still apply once more without looking like abuse).
DEMO_BUYER_CASES = frozenset({1, 2, 3, 5, 6, 11, 14, 19})
Step = Callable[[int, Actor], object]


class _Demo:
    """The actors and the clock of one demo run; cases are made a few hours apart, steps 40 minutes apart."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.now = clock.now()
        self.merchant = Actor(role=MERCHANT, id="demo-merchant", shop_id=shop.pk)
        self.platform = Actor(role=PLATFORM, id="demo-platform")
        row = Buyer.objects.get(external_id="demo-buyer")
        self.buyer = Actor(role=BUYER, id="demo-buyer", buyer_id=row.pk)

    def other_buyer(self, n: int) -> Actor:
        row = ensure_buyer(f"buyer-{n:03d}", name=f"买家{n}")
        return Actor(role=BUYER, id=row.external_id, buyer_id=row.pk)

    def order(self, n: int, sku: str, price: int, buyer: Actor, *, qty: int = 1, days_ago: int = 3,
              shipped: bool = True) -> str:  # fmt: skip
        sn = f"DEMO-{self.now:%y%m%d}-{n:04d}"
        paid = self.now - timedelta(days=days_ago + 2)
        create_order(
            actor=self.merchant, order_sn=sn, buyer_id=buyer.id,
            receiver=Receiver("张三" if buyer.id == "demo-buyer" else f"李{n}", "13812345678",
                              "上海市浦东新区世纪大道 100 号 8 楼"),
            items=[ItemInput(sku, qty, price)], freight_fen=0, paid_fen=price * qty, paid_at=paid,
            shipped_at=paid + timedelta(days=1) if shipped else None,
            carrier="ZTO" if shipped else None, tracking_no="778899001122" if shipped else None,
            signed_at=self.now - timedelta(days=days_ago) if shipped else None,
        )  # fmt: skip
        return sn

    def case(self, n: int, kind: str, reason: str, steps: Sequence[Step] = (), **order: Any) -> int:
        who = self.buyer if n in DEMO_BUYER_CASES else self.other_buyer(n)
        sku = order.pop("sku", "PHONE-CASE-01")
        sn = self.order(n, sku, order.pop("price", 1990), who, **order)
        clock.freeze(self.now - timedelta(hours=36 - n))
        created = cases.apply(
            cases.Application(sn, kind, reason, [cases.ItemRequest(sku, 1)], description="演示申请"),
            actor=who,
        )
        for step in steps:
            clock.advance(timedelta(minutes=40))
            step(created.pk, who)
        return created.pk


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
    try:
        with transaction.atomic():
            shop = create_shop(SHOP, name="拼拼演示小店", default_return_address=RETURN_ADDRESS)
            for name, role in USERS:
                create_user(f"demo-{name}", password=PASSWORD, role=role, shop=shop, buyer_id="demo-buyer")
            demo = _Demo(shop)
            _catalogue(demo)
            _money_cases(demo)
            _goods_cases(demo)
            _conversations(demo)
            _abuse(demo)
    finally:
        clock.unfreeze()
    return {"created": True, "shop": SHOP, "logins": _logins(shop)}


def _catalogue(d: _Demo) -> None:
    for sku, name, price, stock, no_reason in SKUS:
        create_sku(
            actor=d.merchant, sku=sku, name=name, price_fen=price, stock=stock, no_reason_return=no_reason
        )
    for name, body in TEMPLATES:
        chat.save_template(actor=d.merchant, name=name, body=body)


def _money_cases(d: _Demo) -> None:
    """Refund-only and return-and-refund cases, from a fresh application to refunded and closed."""
    m, p = d.merchant, d.platform

    def agree(c: int, b: Actor) -> object:
        return cases.agree(c, actor=m)

    def ship_back(c: int, b: Actor) -> object:
        return cases.ship_return(c, actor=b, carrier="SF", tracking_no="SF1234567890123", freight_fen=800)

    def receive(c: int, b: Actor) -> object:
        return cases.receive_return(c, actor=m, accept=True, note="外观完好", resellable=True)

    cable = {"sku": "CABLE-USB-C", "price": 1290}
    d.case(1, "return_refund", "quality_issue")
    d.case(2, "refund_only", "not_received", sku="TEA-LONGJING", price=8800)
    d.case(3, "return_refund", "no_longer_needed", [lambda c, b: cases.reject(c, actor=m, reason="商品已拆封影响二次销售")],
           sku="SOCKS-5P", price=2990)  # fmt: skip
    d.case(4, "return_refund", "damaged", [agree])
    d.case(5, "return_refund", "quality_issue", [agree, ship_back])
    d.case(6, "refund_only", "damaged", [lambda c, b: cases.reject(c, actor=m, reason="外观无损"),
                                         lambda c, b: cases.escalate(c, actor=b, reason="收到时外盒已破，有照片")],
           **cable)  # fmt: skip
    d.case(7, "refund_only", "wrong_item", [agree])
    d.case(8, "refund_only", "ordered_by_mistake", [lambda c, b: cases.cancel(c, actor=b)])
    d.case(9, "refund_only", "quality_issue", [
        lambda c, b: cases.reject(c, actor=m, reason="未见质量问题"),
        lambda c, b: cases.escalate(c, actor=b, reason="有照片为证"),
        lambda c, b: cases.decide(c, actor=p, decision="reject", note="证据不足"),
    ])  # fmt: skip
    d.case(10, "refund_only", "not_received", shipped=False)
    d.case(20, "return_refund", "quality_issue", [agree, ship_back, receive, _settle])
    refunding = d.case(21, "refund_only", "damaged", [agree])
    _fail_refund(refunding, at=d.now)
    d.case(22, "return_refund", "not_as_described", [
        lambda c, b: cases.reject(c, actor=m, reason="与描述一致"),
        lambda c, b: cases.escalate(c, actor=b, reason="颜色与图片不符"),
    ])  # fmt: skip


def _goods_cases(d: _Demo) -> None:
    """Exchanges and reships in every state, and a reship the merchant proposed that waits on the buyer."""
    m = d.merchant
    cable = {"sku": "CABLE-USB-C", "price": 1290}

    def agree(c: int, b: Actor) -> object:
        return cases.agree(c, actor=m)

    def ship_back(c: int, b: Actor) -> object:
        return cases.ship_return(c, actor=b, carrier="YTO", tracking_no="YT1234567890123", freight_fen=0)

    def receive(c: int, b: Actor) -> object:
        return cases.receive_return(c, actor=m, accept=True)

    def ship(c: int, b: Actor) -> object:
        return cases.ship(c, actor=m, carrier="ZTO", tracking_no=f"7788990{c:05d}")

    def confirm(c: int, b: Actor) -> object:
        return cases.confirm_received(c, actor=b)

    d.case(11, "reship", "missing_item", sku="SOCKS-5P", price=2990)
    d.case(12, "exchange", "quality_issue", [agree], **cable)
    d.case(13, "exchange", "quality_issue", [agree, ship_back, receive], **cable)
    d.case(14, "exchange", "quality_issue", [agree, ship_back, receive, ship], **cable)
    d.case(15, "exchange", "quality_issue", [agree, ship_back, receive, ship, confirm], **cable)
    d.case(16, "reship", "missing_item", [agree], **cable)
    d.case(17, "reship", "missing_item", [agree, ship], **cable)
    d.case(18, "reship", "missing_item", [agree, ship, confirm], **cable)
    sn = d.order(19, "CABLE-USB-C", 1290, d.buyer, qty=3, days_ago=1)
    clock.freeze(d.now - timedelta(hours=2))
    cases.propose_reship(cases.Proposal(sn, [("CABLE-USB-C", 1)], "missing_item", description="少发 1 根"),
                         actor=m)  # fmt: skip
    d.order(30, "CABLE-USB-C", 1290, d.buyer, qty=3, days_ago=1)
    d.order(31, "TEA-LONGJING", 8800, d.buyer, days_ago=2)


def _settle(case_id: int, buyer: Actor) -> object:
    refund = Refund.objects.get(case_id=case_id)
    return record_refund_outcome(refund.pk, actor=Actor.payment("simulated"), status="succeeded")


def _fail_refund(case_id: int, *, at: datetime) -> None:
    """A refund the provider reported failed: it stays visible in 退款中 and is retried later."""
    refund = Refund.objects.get(case_id=case_id)
    clock.freeze(at)
    record_refund_outcome(
        refund.pk, actor=Actor.payment("simulated"), status="failed", reason="银行系统繁忙，稍后重试"
    )


def _conversations(d: _Demo) -> None:
    sn = f"DEMO-{d.now:%y%m%d}-0001"
    clock.freeze(d.now - timedelta(hours=34, minutes=50))
    chat.post_message(actor=d.buyer, order_sn=sn, text="手机壳边缘开裂了，刚用三天，可以退吗？")
    clock.freeze(d.now - timedelta(hours=34, minutes=40))
    chat.post_message(
        actor=d.merchant, order_sn=sn, text="亲，您好！麻烦拍一张开裂处的照片，我们马上为您处理。"
    )
    sn = f"DEMO-{d.now:%y%m%d}-0030"
    clock.freeze(d.now - timedelta(minutes=30))
    chat.post_message(actor=d.buyer, order_sn=sn, text="买了 3 根数据线，只收到 2 根。")


def _abuse(d: _Demo) -> None:
    """A buyer who applied for the same SKU again and again: the fourth application closes the order's
    entry and leaves a risk record for the platform."""
    who = d.other_buyer(40)
    for n in range(40, 44):
        sn = d.order(n, "PHONE-CASE-01", 1990, who, days_ago=2)
        clock.freeze(d.now - timedelta(hours=44 - n))
        try:
            created = cases.apply(
                cases.Application(
                    sn, "refund_only", "quality_issue", [cases.ItemRequest("PHONE-CASE-01", 1)]
                ),
                actor=who,
            )
        except EntryClosed:
            return
        cases.cancel(created.pk, actor=who)
