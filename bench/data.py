"""Data for the benchmarks: a shop with staff made through the services, and bulk histories made with
``bulk_create`` (the same rows the import path writes) for the sizes the services would take hours to reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aftersales.accounts.models import Buyer
from aftersales.accounts.services import create_shop, create_token, ensure_buyer
from aftersales.cases.models import NO_DEADLINE, AfterSale, CaseEvent, CaseItem
from aftersales.catalog.services import create_sku
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.orders.models import Order, OrderItem
from aftersales.orders.services import ItemInput, Receiver, create_order
from aftersales.timers.models import Timer

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
ADDRESS = {"name": "售后部", "phone": "13800001111", "address": "杭州市余杭区 1 号"}


@dataclass
class Shop:
    id: int
    code: str
    merchant: Actor
    merchant_token: str
    platform: Actor
    platform_token: str


def make_shop(code: str = "bench") -> Shop:
    shop = create_shop(code, name="压测小店", default_return_address=ADDRESS)
    merchant = Actor(role=MERCHANT, id="bench-merchant", shop_id=shop.pk)
    create_sku(actor=merchant, sku="SKU-1", name="手机壳", price_fen=1990, stock=10**9)
    _, m_token = create_token(role=MERCHANT, shop=shop, name="bench-merchant")
    _, p_token = create_token(role=PLATFORM, name="bench-platform")
    return Shop(shop.pk, code, merchant, m_token, Actor(role=PLATFORM, id="bench-platform"), p_token)


def make_buyer(external_id: str) -> tuple[Actor, str]:
    row = ensure_buyer(external_id)
    _, token = create_token(role=BUYER, buyer=row)
    return Actor(role=BUYER, id=row.external_id, buyer_id=row.pk), token


def make_order(shop: Shop, buyer: Actor, order_sn: str, signed_at: datetime) -> Order:
    return create_order(
        actor=shop.merchant, order_sn=order_sn, buyer_id=buyer.id,
        receiver=Receiver("张三", "13812345678", "上海市浦东新区"), items=[ItemInput("SKU-1", 1, 1990)],
        freight_fen=0, paid_fen=1990, paid_at=signed_at - timedelta(days=2),
        shipped_at=signed_at - timedelta(days=1), carrier="ZTO", tracking_no="773312345678", signed_at=signed_at,
    )  # fmt: skip


def bulk_history(shop: Shop, total: int, *, open_share: float, due: int = 0, now: datetime = T0,
                 batch: int = 20_000) -> None:  # fmt: skip
    """``total`` cases in the shop; ``open_share`` of them pending the merchant with a deadline in the future
    and a pending timer, except ``due`` whose deadline has passed; the rest refunded long ago."""
    # A buyer has a handful of cases in a shop's history, as in real shops.
    buyers = _buyers(f"{shop.code}-hist", max(200, total // 5))
    sku_id = OrderItem._meta.get_field("sku").related_model.objects.get(shop_id=shop.id, sku="SKU-1").pk  # type: ignore[union-attr]
    open_every = max(1, round(1 / open_share)) if open_share else 0
    made = due_made = 0
    while made < total:
        size = min(batch, total - made)
        orders = Order.objects.bulk_create(
            Order(shop_id=shop.id, order_sn=f"{shop.code}-H{made + i:09d}", buyer_id=buyers[(made + i) % len(buyers)],
                  receiver_name="张三", receiver_phone="13812345678", receiver_address="上海", freight_fen=0,
                  paid_fen=1990, paid_at=now - timedelta(days=30), shipped_at=now - timedelta(days=29),
                  signed_at=now - timedelta(days=28), created_at=now - timedelta(days=30))
            for i in range(size)
        )  # fmt: skip
        items = OrderItem.objects.bulk_create(
            OrderItem(shop_id=shop.id, order=o, sku_id=sku_id, sku_code="SKU-1", qty=1, unit_price_fen=1990, paid_fen=1990)
            for o in orders
        )  # fmt: skip
        cases = []
        for i, order in enumerate(orders):
            is_open = open_every and (made + i) % open_every == 0
            deadline = None
            if is_open:
                deadline = (
                    now - timedelta(minutes=1)
                    if due_made < due
                    else now + timedelta(hours=1 + (made + i) % 47)
                )
                due_made += deadline < now
            cases.append(AfterSale(
                shop_id=shop.id, order=order, order_sn=order.order_sn, buyer_id=order.buyer_id, type="refund_only",
                state="pending_merchant" if is_open else "refunded", waiting_on="merchant" if is_open else "",
                reason_code="damaged", merchant_fault=True, return_freight_payer="merchant", refund_fen=1990,
                initiated_by="buyer", deadline_at=deadline, due_sort=deadline or NO_DEADLINE, version=1, event_seq=1,
                created_at=now - timedelta(days=20), updated_at=now - timedelta(days=20)))  # fmt: skip
        cases = AfterSale.objects.bulk_create(cases)
        CaseItem.objects.bulk_create(
            CaseItem(shop_id=shop.id, case=c, order_item=it, sku_code="SKU-1", qty=1)
            for c, it in zip(cases, items, strict=True)
        )
        CaseEvent.objects.bulk_create(
            CaseEvent(shop_id=shop.id, case=c, seq=1, at=c.created_at, action="apply", actor_role="buyer",
                      actor_id="hist", from_state="", to_state="pending_merchant", data={})
            for c in cases
        )  # fmt: skip
        Timer.objects.bulk_create(
            Timer(shop_id=shop.id, case=c, kind="merchant_overdue", state="pending_merchant", case_version=1,
                  due_at=c.deadline_at, next_attempt_at=c.deadline_at, created_at=c.created_at)
            for c in cases if c.deadline_at is not None
        )  # fmt: skip
        made += size


def _buyers(prefix: str, n: int) -> list[int]:
    names = [f"{prefix}-{i}" for i in range(n)]
    Buyer.objects.bulk_create(
        [Buyer(external_id=x, created_at=T0) for x in names], ignore_conflicts=True, batch_size=5000
    )
    ids = dict(Buyer.objects.filter(external_id__startswith=f"{prefix}-").values_list("external_id", "id"))
    return [ids[x] for x in names]
