"""What every case command shares: loading a case the actor may see, under lock; the version check;
saving the change with its one event, its timer and the refund it starts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar

from django.db.models import Model

from aftersales.accounts.models import Shop
from aftersales.cases import transitions as t
from aftersales.cases.deadlines import deadline_for
from aftersales.cases.models import AfterSale, CaseEvent, CaseItem
from aftersales.catalog import stock
from aftersales.catalog.models import RESERVED
from aftersales.chat import services as chat
from aftersales.chat.cards import Card, cards_for
from aftersales.core import clock, rows
from aftersales.core.actors import BUYER, MERCHANT, Actor
from aftersales.core.calendar import BusinessCalendar
from aftersales.core.errors import (
    AmountExceedsRefundable,
    Forbidden,
    InsufficientStock,
    NotFound,
    StaleVersion,
)
from aftersales.core.money import allocate
from aftersales.logistics.models import RETURN, Shipment
from aftersales.orders.models import Order, OrderItem
from aftersales.refunds import services as refunds
from aftersales.refunds.models import Refund
from aftersales.timers.models import Timer
from aftersales.timers.services import replace_case_timer

# Every action a role can ever take; anything else from that role is ``forbidden``, not ``action_not_allowed``.
ROLE_ACTIONS: dict[str, frozenset[str]] = {}
for (_state, _action), _edge in t.TRANSITIONS.items():
    for _role in _edge.actors:
        ROLE_ACTIONS[_role] = ROLE_ACTIONS.get(_role, frozenset()) | {t.PUBLIC_NAME[_action]}


def calendar_for(shop: Shop) -> BusinessCalendar:
    return BusinessCalendar(
        extra_holidays=[date.fromisoformat(d) for d in shop.extra_holidays],
        extra_working_days=[date.fromisoformat(d) for d in shop.extra_working_days],
        tz=shop.time_zone,
    )


def visible_to(case: AfterSale, actor: Actor) -> bool:
    if actor.role == MERCHANT:
        return actor.shop_id is not None and case.shop_id == actor.shop_id
    if actor.role == BUYER:
        return actor.buyer_id is not None and case.buyer_id == actor.buyer_id
    return True


M = TypeVar("M", bound=Model)


def check_role(actor: Actor, action: str) -> None:
    if action not in ROLE_ACTIONS.get(actor.role, frozenset()):
        allowed_roles = sorted(r for r, actions in ROLE_ACTIONS.items() if action in actions)
        raise Forbidden(role=actor.role, allowed_roles=allowed_roles, action=action)


def load_for_action(case_id: int, actor: Actor, action: str, version: int | None = None) -> AfterSale:
    """The case, locked for this transaction (lock order: case → order → SKU). ``not_found`` for a case the
    actor may not see, ``forbidden`` for an action the role never takes, ``stale_version`` for an old version."""
    case, _ = load_with(case_id, actor, action, version)
    return case


def load_with(
    case_id: int, actor: Actor, action: str, version: int | None = None, also: rows.Query[M] | None = None
) -> tuple[AfterSale, list[M]]:
    """As ``load_for_action``, with the rows of ``also`` (a query of the case's own rows), read after the lock
    is granted, in the same round trip on PostgreSQL."""
    locked = rows.query(AfterSale, related="shop", lock=True, one=True, id=case_id)
    found = rows.fetch(locked, also) if also is not None else rows.fetch(locked)
    case = found[0][0] if found[0] else None
    if case is None or not visible_to(case, actor):
        raise NotFound(what="after-sales case")
    check_role(actor, action)
    if version is not None and version != case.version:
        raise StaleVersion(sent_version=version, current_version=case.version)
    return case, found[1] if also is not None else []


def transition(
    case: AfterSale,
    action: str,
    *,
    actor: Actor,
    at: datetime,
    data: dict[str, Any] | None = None,
    new_items: list[CaseItem] | None = None,
    refund: Refund | None = None,
    also: Sequence[Model] = (),
    fired: Timer | None = None,
) -> CaseEvent:
    """Apply one edge, save the case and its event, replace its timer, and start its refund if it now
    waits on payment. The caller holds the case's lock inside ``transaction.atomic()``; a case not yet
    stored is inserted with ``new_items``. ``refund`` is the case's refund when the caller already has it;
    ``also`` are other rows of the same change (a parcel, the refund's outcome), saved with it; ``fired`` is
    the case's pending timer when its deadline made the change (closed as fired with the case's others)."""
    calendar = calendar_for(case.shop)
    before = case.state
    if new_items is not None:
        rows.attach(case, "items", new_items)
    event = case.apply(
        action, actor=actor, at=at, data=data, deadline=lambda s: deadline_for(s, at, calendar)
    )
    existing_refund = _prepare_refund(case, actor) if case.state == t.REFUNDING else None
    adding = case._state.adding
    if adding:
        rows.insert(case)
    _move_stock(case, action, at)
    if case.state == t.REFUNDING:
        refund = refunds.open_refund(
            existing_refund,
            shop_id=case.shop_id,
            case_id=case.pk,
            goods_fen=case.refund_fen,
            freight_fen=case.freight_refund_fen,
            decided_by=case.refund_decided_by,
            at=at,
            calendar=calendar,
            goods_received_at=at if action.startswith("receive_return") else None,
        )
    cards = _cards(case, event, refund)
    # Everything read is read: the writes go to the database together.
    with rows.pipeline():
        for row in also:
            rows.save(row)
        if adding:
            for item in new_items or []:
                item.case_id = case.pk
            rows.insert_all(new_items or [], returning=False)
        else:
            rows.update(case)
        event.case_id = case.pk
        rows.insert(event, returning=False)
        replace_case_timer(
            shop_id=case.shop_id,
            case_id=case.pk,
            state=case.state,
            previous_state=before,
            version=case.version,
            deadline_at=case.deadline_at,
            now=at,
            fired=fired,
        )
        if refund is not None and refund._state.adding:
            rows.insert(refund, returning=False)
        chat.post_cards(shop_id=case.shop_id, order_id=case.order_id, case_id=case.pk, cards=cards, at=at)
    return event


def _replacement_lines(case: AfterSale) -> list[tuple[str, int]]:
    items = rows.related_rows(case, "items")
    if case.type == t.EXCHANGE:
        return [(case.exchange_sku, sum(i.qty for i in items))]
    return sorted((i.sku_code, i.qty) for i in items)


def _move_stock(case: AfterSale, action: str, at: datetime) -> None:
    """Reserve when a replacement is promised, consume when it ships, release when it will not ship."""
    if case.type not in t.GOODS_TYPES:
        return
    held = case.reservations.filter(status=RESERVED).exists()
    promised = case.state == t.AWAITING_SHIPMENT or (
        case.type == t.EXCHANGE and case.state == t.AWAITING_RETURN
    )
    if action == "ship":
        stock.consume(case_id=case.pk, at=at)
    elif promised and not held:
        for sku, qty in _replacement_lines(case):
            stock.reserve(shop_id=case.shop_id, sku=sku, qty=qty, case_id=case.pk, at=at)
    elif held and (case.state in t.FINAL_STATES or case.state == t.REFUNDING):
        stock.release(case_id=case.pk, at=at)


class _CardFacts(Mapping[str, Any]):
    """What a card may show about its case, read from the database only when a card asks for it."""

    def __init__(self, case: AfterSale, refund: Refund | None) -> None:
        self.case = case
        self.known_refund = refund

    @cached_property
    def _refund(self) -> Refund | None:
        return self.known_refund or rows.get(Refund, case_id=self.case.pk)

    def __getitem__(self, key: str) -> Any:
        case = self.case
        if key == "id":
            return case.pk
        if key == "deadline_at":
            return case.deadline_at.isoformat() if case.deadline_at else None
        if key == "items":
            return [{"sku": i.sku_code, "qty": i.qty} for i in rows.related_rows(case, "items")]
        if key == "return_address":
            return case.return_address
        if key == "refund_amount_fen":
            return self._refund.amount_fen if self._refund else case.refund_fen + case.freight_refund_fen
        if key == "refund_due_by":
            return self._refund.due_by.isoformat() if self._refund else None
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("id", "deadline_at", "items", "return_address", "refund_amount_fen", "refund_due_by"))

    def __len__(self) -> int:
        return 6


def _cards(case: AfterSale, event: CaseEvent, refund: Refund | None) -> list[Card]:
    return cards_for(
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        case_type=case.type,
        event_data=event.data,
        case=_CardFacts(case, refund),
    )


@contextmanager
def restock_alert_on_shortage(case_id: int) -> Iterator[None]:
    """Around a command's transaction: a refused reservation still leaves its restock alert."""
    try:
        yield
    except InsufficientStock as exc:
        shop_id = AfterSale.objects.filter(pk=case_id).values_list("shop_id", flat=True).first()
        if shop_id is not None:
            stock.raise_restock_alert(
                shop_id=shop_id,
                sku=str(exc.params.get("sku")),
                needed=int(exc.params.get("needed", 0)),
                available=int(exc.params.get("available", 0)),
                case_id=case_id,
                at=clock.now(),
            )
        raise


def save_note(case: AfterSale, action: str, *, actor: Actor, at: datetime, data: dict[str, Any]) -> CaseEvent:
    event = case.note(action, actor=actor, at=at, data=data)
    rows.update(case)
    rows.insert(event)
    return event


def _prepare_refund(case: AfterSale, actor: Actor) -> Refund | None:
    """Fix the money the case pays back as it enters ``refunding``: the goods part (for goods types, what the
    items cost), and the return freight when the merchant bears it. The goods part never exceeds what is still
    refundable on the order; a refund with nothing left to pay is refused. Returns the refund the case
    already has, if any. What it needs is read together, the order locked first (lock order: case → order)."""
    case.refund_decided_by = actor.role
    stored = not case._state.adding
    order_q = rows.query(Order, lock=True, one=True, id=case.order_id)
    items_q = (
        rows.query(CaseItem, related="order_item", case_id=case.pk)
        if rows.attached(case, "items") is None
        else None
    )
    freight = stored and case.return_freight_payer == "merchant"
    shipment_q = (
        rows.query(Shipment, one=True, shop_id=case.shop_id, case_id=case.pk, kind=RETURN)
        if freight
        else None
    )
    # By the case alone: its unique index is then the only one that fits, even before the table has planner
    # statistics (with the shop too, a fresh table's plan walked the shop's refunds by date).
    refund_q = rows.query(Refund, one=True, case_id=case.pk) if stored else None
    statements = [order_q.statement, refunded_statement(case.shop_id, case.order_id, excluding_case=case.pk)]
    statements += [q.statement for q in (items_q, shipment_q, refund_q) if q is not None]
    found = iter(rows.read_together(*statements))
    (order,) = order_q.parse(next(found))
    refunded = refunded_from(next(found))
    if items_q is not None:
        rows.attach(case, "items", items_q.parse(next(found)))
    shipments = shipment_q.parse(next(found)) if shipment_q is not None else []
    existing = refund_q.parse(next(found)) if refund_q is not None else []
    refundable = refundable_from(order, case_lines(case), refunded)
    if case.type in t.GOODS_TYPES and case.refund_fen == 0:
        case.refund_fen = refundable
    if shipments:
        case.freight_refund_fen = shipments[0].freight_fen
    if case.refund_fen > refundable or case.refund_fen + case.freight_refund_fen <= 0:
        raise AmountExceedsRefundable(requested_fen=case.refund_fen, refundable_fen=max(refundable, 0))
    return existing[0] if existing else None


def case_lines(case: AfterSale) -> list[tuple[OrderItem, int]]:
    """The order lines the case names, with the quantity it names of each."""
    items = rows.attached(case, "items")
    if items is None:
        items = rows.select_with(CaseItem, "order_item", case_id=case.pk)
        rows.attach(case, "items", items)
    if all(CaseItem.order_item.is_cached(i) for i in items):
        return [(i.order_item, i.qty) for i in items]
    lines = {line.pk: line for line in rows.select(OrderItem, id=[i.order_item_id for i in items])}
    return [(lines[i.order_item_id], i.qty) for i in items]


@dataclass(frozen=True)
class Refunded:
    total: int  # goods money paid back, or on its way, on the order
    by_line: dict[int, int]  # the same, per order line


def refunded_statement(shop_id: int, order_id: int, *, excluding_case: int | None) -> rows.Statement:
    """The refunds of the order's other cases with the lines of each case (for ``refunded_from``). The
    order's cases are found by its shop and its id (``case_order``)."""
    return _REFUNDED_SQL, [shop_id, order_id, excluding_case or 0]


_REFUNDED_SQL = """
SELECT ci.case_id, ci.order_item_id, ci.qty, oi.paid_fen, oi.qty, r.goods_fen
FROM cases_caseitem ci
JOIN cases_aftersale c ON c.id = ci.case_id
JOIN refunds_refund r ON r.case_id = c.id
JOIN orders_orderitem oi ON oi.id = ci.order_item_id
WHERE c.shop_id = %s AND c.order_id = %s AND c.id <> %s
ORDER BY ci.case_id, ci.id
"""


def refunded_from(found: list[tuple[Any, ...]]) -> Refunded:
    """Each refund spread over its case's lines in proportion to what they cost."""
    by_case: dict[int, list[tuple[int, int, int, int, int]]] = {}
    for case_id, order_item_id, qty, line_paid, line_qty, goods in found:
        by_case.setdefault(case_id, []).append((order_item_id, qty, line_paid, line_qty, goods))
    refunded: dict[int, int] = {}
    total = 0
    for items in by_case.values():
        weights = [paid * qty // line_qty for _, qty, paid, line_qty, _ in items]
        goods = items[0][4]
        total += goods
        parts = allocate(goods, weights) if any(weights) else [0] * len(items)
        for (order_item_id, *_), part in zip(items, parts, strict=True):
            refunded[order_item_id] = refunded.get(order_item_id, 0) + part
    return Refunded(total, refunded)


def _refunded_on(order: Order, *, excluding_case: int | None) -> Refunded:
    (found,) = rows.read_together(refunded_statement(order.shop_id, order.pk, excluding_case=excluding_case))
    return refunded_from(found)


def refundable_fen(
    order: Order, lines: list[tuple[OrderItem, int]], *, excluding_case: int | None = None
) -> int:
    """Rule 7: what the given quantities of these lines cost, less what was already refunded on each line,
    and never more than is left of the order's goods money."""
    return refundable_from(order, lines, _refunded_on(order, excluding_case=excluding_case))


def refundable_from(order: Order, lines: list[tuple[OrderItem, int]], refunded: Refunded) -> int:
    per_line = sum(
        max(0, min(line.paid_fen * qty // line.qty, line.paid_fen - refunded.by_line.get(line.pk, 0)))
        for line, qty in lines
    )
    left = order.goods_paid_fen - refunded.total
    return max(0, min(per_line, left))
