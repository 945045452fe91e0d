"""Data for the benchmarks: a shop with staff made through the services, and bulk histories made with the
import path's bulk statements (the same rows it writes) for the sizes the services would take hours to reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from aftersales.accounts.models import Buyer
from aftersales.accounts.services import create_shop, create_token, ensure_buyer
from aftersales.cases.models import NO_DEADLINE, AfterSale, CaseEvent, CaseItem
from aftersales.catalog.models import Sku
from aftersales.catalog.services import create_sku
from aftersales.chat.models import Conversation, Message
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.core.planner import refresh_planner_statistics
from aftersales.core.rows.bulk import Insert, select_in
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
                 batch: int = 20_000, chats: bool = False) -> None:  # fmt: skip
    """``total`` cases in the shop; ``open_share`` of them pending the merchant with a deadline in the future
    and a pending timer, except ``due`` whose deadline has passed; the rest refunded long ago. With ``chats``,
    each order has its conversation, where the buyer wrote about the case (for benches whose changes post
    cards, so the chat tables are of a shop's size, as their planner statistics then are). Written with the
    import path's bulk statements, a transaction per ``batch``."""
    # A buyer has a handful of cases in a shop's history, as in real shops.
    buyers = _buyers(f"{shop.code}-hist", max(200, total // 5))
    sku_id = Sku.objects.get(shop_id=shop.id, sku="SKU-1").pk
    open_every = max(1, round(1 / open_share)) if open_share else 0
    db = connection
    orders = Insert(Order, ["order_sn", "buyer_id"], db, same=["shop_id", "receiver_name", "receiver_phone",
                    "receiver_address", "freight_fen", "paid_fen", "paid_at", "shipped_at", "signed_at", "created_at"])  # fmt: skip
    items = Insert(
        OrderItem,
        ["order_id"],
        db,
        same=["shop_id", "sku_id", "sku_code", "qty", "unit_price_fen", "paid_fen"],
    )
    cases = Insert(AfterSale, ["order_id", "order_sn", "buyer_id", "state", "waiting_on", "deadline_at", "due_sort"], db,
                   same=["shop_id", "type", "reason_code", "merchant_fault", "return_freight_payer", "refund_fen",
                         "initiated_by", "version", "event_seq", "created_at", "updated_at"])  # fmt: skip
    case_items = Insert(CaseItem, ["case_id", "order_item_id"], db, same=["shop_id", "sku_code", "qty"])
    events = Insert(CaseEvent, ["case_id"], db, same=["shop_id", "seq", "at", "action", "actor_role", "actor_id",
                    "from_state", "to_state", "data"])  # fmt: skip
    timers = Insert(Timer, ["case_id", "due_at", "next_attempt_at"], db,
                    same=["shop_id", "kind", "state", "case_version", "created_at"])  # fmt: skip
    conversations = Insert(Conversation, ["order_id"], db, same=["shop_id", "created_at"])
    messages = Insert(Message, ["conversation_id", "sender_id"], db,
                      same=["shop_id", "at", "sender_role", "to", "text"])  # fmt: skip
    opened = now - timedelta(days=20)
    made = due_made = 0
    while made < total:
        size = min(batch, total - made)
        numbers = range(made, made + size)
        with transaction.atomic(), connection.cursor() as cur:
            sns = [f"{shop.code}-H{i:09d}" for i in numbers]
            orders.run(cur, [(sn, buyers[i % len(buyers)]) for sn, i in zip(sns, numbers, strict=True)],
                       shop_id=shop.id, receiver_name="张三", receiver_phone="13812345678", receiver_address="上海",
                       freight_fen=0, paid_fen=1990, paid_at=now - timedelta(days=30),
                       shipped_at=now - timedelta(days=29), signed_at=now - timedelta(days=28),
                       created_at=now - timedelta(days=30))  # fmt: skip
            order_ids: dict[str, int] = dict(select_in(cur, Order, ["order_sn", "id"], "order_sn", sns))
            ids = [order_ids[sn] for sn in sns]
            items.run(cur, [(o,) for o in ids], shop_id=shop.id, sku_id=sku_id, sku_code="SKU-1", qty=1,
                      unit_price_fen=1990, paid_fen=1990)  # fmt: skip
            item_ids: dict[int, int] = dict(select_in(cur, OrderItem, ["order_id", "id"], "order_id", ids))
            rows = []
            for sn, i, order_id in zip(sns, numbers, ids, strict=True):
                is_open = bool(open_every) and i % open_every == 0
                deadline = None
                if is_open:
                    deadline = (
                        now - timedelta(minutes=1) if due_made < due else now + timedelta(hours=1 + i % 47)
                    )
                    due_made += deadline < now
                rows.append((order_id, sn, buyers[i % len(buyers)], "pending_merchant" if is_open else "refunded",
                             "merchant" if is_open else "", deadline, deadline or NO_DEADLINE))  # fmt: skip
            cases.run(cur, rows, shop_id=shop.id, type="refund_only", reason_code="damaged", merchant_fault=True,
                      return_freight_payer="merchant", refund_fen=1990, initiated_by="buyer", version=1, event_seq=1,
                      created_at=opened, updated_at=opened)  # fmt: skip
            case_ids: dict[int, int] = dict(select_in(cur, AfterSale, ["order_id", "id"], "order_id", ids))
            case_items.run(
                cur, [(case_ids[o], item_ids[o]) for o in ids], shop_id=shop.id, sku_code="SKU-1", qty=1
            )
            events.run(cur, [(case_ids[o],) for o in ids], shop_id=shop.id, seq=1, at=opened, action="apply",
                       actor_role="buyer", actor_id="hist", from_state="", to_state="pending_merchant", data={})  # fmt: skip
            timers.run(cur, [(case_ids[r[0]], r[5], r[5]) for r in rows if r[5] is not None], shop_id=shop.id,
                       kind="merchant_overdue", state="pending_merchant", case_version=1, created_at=opened)  # fmt: skip
            if chats:
                conversations.run(cur, [(o,) for o in ids], shop_id=shop.id, created_at=opened)
                chat_ids: dict[int, int] = dict(
                    select_in(cur, Conversation, ["order_id", "id"], "order_id", ids)
                )
                messages.run(cur, [(chat_ids[r[0]], str(r[2])) for r in rows], shop_id=shop.id, at=opened,
                             sender_role="buyer", to="merchant", text="商品破损，已申请退款，请尽快处理")  # fmt: skip
        made += size


def _buyers(prefix: str, n: int) -> list[int]:
    names = [f"{prefix}-{i}" for i in range(n)]
    Buyer.objects.bulk_create(
        [Buyer(external_id=x, created_at=T0) for x in names], ignore_conflicts=True, batch_size=5000
    )
    ids = dict(Buyer.objects.filter(external_id__startswith=f"{prefix}-").values_list("external_id", "id"))
    return [ids[x] for x in names]


def settle_after_load() -> None:
    """What a database that has held its history for a while has, and a freshly loaded one lacks: planner
    statistics, and on PostgreSQL the housekeeping autovacuum would otherwise start in the middle of a
    measurement (the visibility map, so index-only scans skip the heap), and the checkpoint the load's
    write-ahead log would otherwise start then (writing back every page the load dirtied). Run once a
    bench's history is written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            cur.execute("CHECKPOINT")
    else:
        refresh_planner_statistics()
