"""Bulk import of orders with their items, and optionally their past cases, from JSON Lines.

The path a shop's history or a platform sync takes: each batch is validated whole, then written with
``bulk_create`` in one transaction; a bad line stops the import with its line number and nothing of its
batch is loaded (earlier batches stay). One line:

    {"shop": "CODE", "order_sn": "…", "buyer_id": "…", "receiver": {"name", "phone", "address"},
     "items": [{"sku", "qty", "unit_price_fen"}], "freight_fen": 0, "paid_fen": 1990,
     "paid_at": "2026-11-01T10:00:00+08:00", "shipped_at": null, "carrier": null, "tracking_no": null,
     "signed_at": null, "return_freight_insured": false,
     "cases": [{"type", "state", "close_reason"?, "reason_code", "items": [{"sku", "qty"}], "refund_fen"?,
                "created_at", "updated_at"?}]}

Imported cases keep the state they had and get one ``import`` event; a non-final one may carry its
``deadline_at`` (e.g. the platform's ``expire_time``), which becomes its pending timer like any other."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from django.db import transaction
from pydantic import BaseModel, Field, ValidationError, field_validator

from aftersales.accounts.models import Buyer, Shop
from aftersales.cases import transitions as t
from aftersales.cases.models import NO_DEADLINE, AfterSale, CaseEvent, CaseItem
from aftersales.cases.reasons import REASONS, return_freight_payer
from aftersales.catalog.models import Sku
from aftersales.core import clock
from aftersales.core.errors import ValidationFailed
from aftersales.core.money import allocate
from aftersales.orders.models import Order, OrderItem
from aftersales.orders.services import ItemInput, check_order_facts
from aftersales.orders.shapes import OrderLine, Receiver
from aftersales.timers.models import Timer
from aftersales.timers.services import KIND_BY_STATE

BATCH = 2000


class _CaseItem(BaseModel):
    sku: str
    qty: int = Field(ge=1)


class _Case(BaseModel):
    type: Literal["refund_only", "return_refund", "exchange", "reship"]
    state: str
    close_reason: str = ""
    reason_code: str
    items: list[_CaseItem] = Field(min_length=1)
    refund_fen: int = Field(0, ge=0)
    created_at: datetime
    updated_at: datetime | None = None
    deadline_at: datetime | None = None

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value not in t.STATES:
            raise ValueError(f"unknown state {value!r}")
        return value

    @field_validator("reason_code")
    @classmethod
    def _known_reason(cls, value: str) -> str:
        if value not in REASONS:
            raise ValueError(f"unknown reason_code {value!r}")
        return value


class _Line(BaseModel):
    shop: str
    order_sn: str = Field(min_length=1, max_length=64)
    buyer_id: str = Field(min_length=1, max_length=64)
    receiver: Receiver
    items: list[OrderLine] = Field(min_length=1)
    freight_fen: int = Field(0, ge=0)
    paid_fen: int = Field(ge=0)
    paid_at: datetime
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_no: str | None = None
    signed_at: datetime | None = None
    return_freight_insured: bool = False
    cases: list[_Case] = Field(default_factory=list)


class BadLine(ValidationFailed):
    """A bad line: its number and what is wrong with it."""

    def detail(self) -> str:
        return f"line {self.params['line']}: {self.params['message']}"


@dataclass
class Summary:
    orders: int = 0
    items: int = 0
    cases: int = 0
    batches: int = 0
    skus_created: int = 0
    buyers_created: int = 0
    errors: list[str] = field(default_factory=list)


def _parse(number: int, raw: str) -> _Line:
    try:
        line = _Line.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadLine(line=number, message=f"{where}: {first['msg']}") from exc
    stamps = [x for c in line.cases for x in (c.created_at, c.updated_at, c.deadline_at)]
    if any(stamp is not None and stamp.tzinfo is None for stamp in stamps):
        raise BadLine(line=number, message="times need an offset, e.g. +08:00")
    try:
        # The same facts an order created over HTTP must satisfy.
        check_order_facts(
            [ItemInput(i.sku, i.qty, i.unit_price_fen) for i in line.items],
            freight_fen=line.freight_fen, paid_fen=line.paid_fen, paid_at=line.paid_at,
            shipped_at=line.shipped_at, signed_at=line.signed_at,
        )  # fmt: skip
    except ValidationFailed as exc:
        raise BadLine(line=number, message=exc.detail()) from exc
    ordered = {i.sku: i.qty for i in line.items}
    for case in line.cases:
        if any(ordered.get(ci.sku, 0) < ci.qty for ci in case.items):
            raise BadLine(line=number, message="a case names more of a SKU than the order has")
        if case.state == t.CLOSED and case.close_reason not in t.CLOSE_REASONS:
            raise BadLine(line=number, message="a closed case needs a close_reason")
    return line


def _batches(lines: Iterable[str], size: int) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        batch.append((number, raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Cache:
    def __init__(self) -> None:
        self.shops = {s.code: s.pk for s in Shop.objects.all()}
        self.skus: dict[tuple[int, str], int] = {}
        self.buyers: dict[str, int] = {}


def import_lines(
    lines: Iterable[str], *, batch_size: int = BATCH, progress: Callable[[int], None] | None = None
) -> Summary:
    summary = Summary()
    cache = _Cache()
    for batch in _batches(lines, batch_size):
        parsed = [(n, _parse(n, raw)) for n, raw in batch]
        with transaction.atomic():
            _load(parsed, cache, summary)
        summary.batches += 1
        if progress is not None:
            progress(len(batch))
    return summary


def _load(parsed: list[tuple[int, _Line]], cache: _Cache, summary: Summary) -> None:
    for number, line in parsed:
        if line.shop not in cache.shops:
            raise BadLine(line=number, message=f"unknown shop {line.shop!r}")
    sns = [line.order_sn for _, line in parsed]
    if len(set(sns)) != len(sns):
        seen: set[str] = set()
        for number, line in parsed:
            if line.order_sn in seen:
                raise BadLine(line=number, message=f"order {line.order_sn} appears twice")
            seen.add(line.order_sn)
    existing = set(Order.objects.filter(order_sn__in=sns).values_list("order_sn", flat=True))
    for number, line in parsed:
        if line.order_sn in existing:
            raise BadLine(line=number, message=f"order {line.order_sn} already exists")
    now = clock.now()
    _ensure_buyers({line.buyer_id for _, line in parsed}, cache, summary, now)
    _ensure_skus(parsed, cache, summary, now)
    orders = Order.objects.bulk_create(
        Order(
            shop_id=cache.shops[line.shop], order_sn=line.order_sn, buyer_id=cache.buyers[line.buyer_id],
            receiver_name=line.receiver.name, receiver_phone=line.receiver.phone,
            receiver_address=line.receiver.address, freight_fen=line.freight_fen, paid_fen=line.paid_fen,
            paid_at=line.paid_at, shipped_at=line.shipped_at or line.signed_at, carrier=line.carrier or "",
            tracking_no=line.tracking_no or "", signed_at=line.signed_at,
            return_freight_insured=line.return_freight_insured, created_at=now,
        )
        for _, line in parsed
    )  # fmt: skip
    items: list[OrderItem] = []
    for order, (_, line) in zip(orders, parsed, strict=True):
        shares = allocate(line.paid_fen - line.freight_fen, [i.unit_price_fen * i.qty for i in line.items])
        items += [
            OrderItem(shop_id=order.shop_id, order=order, sku_id=cache.skus[(order.shop_id, i.sku)],
                      sku_code=i.sku, qty=i.qty, unit_price_fen=i.unit_price_fen, paid_fen=share)
            for i, share in zip(line.items, shares, strict=True)
        ]  # fmt: skip
    items = OrderItem.objects.bulk_create(items)
    summary.orders += len(orders)
    summary.items += len(items)
    summary.cases += _load_cases(orders, parsed, items)


def _ensure_buyers(ids: set[str], cache: _Cache, summary: Summary, now: datetime) -> None:
    missing = ids - cache.buyers.keys()
    if not missing:
        return
    found = dict(Buyer.objects.filter(external_id__in=missing).values_list("external_id", "id"))
    new = missing - found.keys()
    if new:
        Buyer.objects.bulk_create([Buyer(external_id=b, created_at=now) for b in sorted(new)])
        found.update(Buyer.objects.filter(external_id__in=new).values_list("external_id", "id"))
        summary.buyers_created += len(new)
    cache.buyers.update(found)


def _ensure_skus(parsed: list[tuple[int, _Line]], cache: _Cache, summary: Summary, now: datetime) -> None:
    wanted: dict[tuple[int, str], int] = {}
    for _, line in parsed:
        for i in line.items:
            wanted.setdefault((cache.shops[line.shop], i.sku), i.unit_price_fen)
    missing = [key for key in wanted if key not in cache.skus]
    if not missing:
        return
    for shop_id in {shop for shop, _ in missing}:
        codes = [sku for shop, sku in missing if shop == shop_id]
        cache.skus.update(
            ((shop_id, code), pk)
            for code, pk in Sku.objects.filter(shop_id=shop_id, sku__in=codes).values_list("sku", "id")
        )
    new = [key for key in missing if key not in cache.skus]
    if new:
        created = Sku.objects.bulk_create(
            Sku(
                shop_id=shop,
                sku=sku,
                name=sku,
                price_fen=wanted[(shop, sku)],
                stock=0,
                created_at=now,
                updated_at=now,
            )
            for shop, sku in new
        )
        cache.skus.update(((s.shop_id, s.sku), s.pk) for s in created)
        summary.skus_created += len(created)


def _load_cases(orders: list[Order], parsed: list[tuple[int, _Line]], items: list[OrderItem]) -> int:
    by_order: dict[int, dict[str, OrderItem]] = {}
    for item in items:
        by_order.setdefault(item.order_id, {})[item.sku_code] = item
    cases: list[AfterSale] = []
    wanted: list[_Case] = []
    for order, (_, line) in zip(orders, parsed, strict=True):
        for c in line.cases:
            reason = REASONS[c.reason_code]
            final = c.state in t.FINAL_STATES
            cases.append(AfterSale(
                shop_id=order.shop_id, order=order, order_sn=order.order_sn, buyer_id=order.buyer_id, type=c.type,
                state=c.state, close_reason=c.close_reason if c.state == t.CLOSED else "",
                waiting_on=t.WAITING_ON[c.state], reason_code=c.reason_code, merchant_fault=reason.merchant_fault,
                return_freight_payer=return_freight_payer(merchant_fault=reason.merchant_fault,
                                                          insured=order.return_freight_insured),
                refund_fen=c.refund_fen, initiated_by="buyer", counts_as_application=True,
                deadline_at=None if final else c.deadline_at,
                due_sort=(None if final else c.deadline_at) or NO_DEADLINE, version=1, event_seq=1,
                created_at=c.created_at, updated_at=c.updated_at or c.created_at,
            ))  # fmt: skip
            wanted.append(c)
    if not cases:
        return 0
    cases = AfterSale.objects.bulk_create(cases)
    CaseItem.objects.bulk_create(
        CaseItem(
            shop_id=case.shop_id,
            case=case,
            order_item=by_order[case.order_id][ci.sku],
            sku_code=ci.sku,
            qty=ci.qty,
        )
        for case, c in zip(cases, wanted, strict=True)
        for ci in c.items
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(shop_id=case.shop_id, case=case, seq=1, at=case.created_at, action="import", actor_role="system",
                  actor_id="import", from_state="", to_state=case.state, data={"source": "import"})
        for case in cases
    )  # fmt: skip
    Timer.objects.bulk_create(
        Timer(shop_id=case.shop_id, case=case, kind=KIND_BY_STATE[case.state], state=case.state, case_version=1,
              due_at=case.deadline_at, next_attempt_at=case.deadline_at, created_at=case.created_at)
        for case in cases
        if case.deadline_at is not None and case.state in KIND_BY_STATE
    )  # fmt: skip
    return len(cases)


def read_json_lines(path: str) -> Iterator[str]:
    with open(path, encoding="utf-8") as handle:
        yield from handle
