"""The past cases of imported orders: each case with its items, one ``import`` event, and the pending timer
of a non-final case that carries its deadline, written batch by batch as plain rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from aftersales.cases import transitions as t
from aftersales.cases.models import NO_DEADLINE, AfterSale, CaseEvent, CaseItem
from aftersales.cases.reasons import REASONS, return_freight_payer
from aftersales.core.rows.bulk import Insert, Row, select_in
from aftersales.orders.import_shapes import CaseShape
from aftersales.orders.models import OrderItem
from aftersales.timers.models import Timer
from aftersales.timers.services import KIND_BY_STATE

IMPORT_EVENT_DATA = {"source": "import"}

_CASE_COLUMNS = (
    "shop_id", "order_id", "order_sn", "buyer_id", "type", "state", "close_reason", "waiting_on", "reason_code",
    "merchant_fault", "return_freight_payer", "refund_fen", "deadline_at", "due_sort", "created_at", "updated_at",
)  # fmt: skip
_CASE_SAME = ("initiated_by", "counts_as_application", "version", "event_seq")


@dataclass(frozen=True)
class OrderCases:
    """An imported order's cases with what they take from the order."""

    shop_id: int
    order_id: int
    order_sn: str
    buyer_id: int
    insured: bool
    cases: list[CaseShape]


class CaseTables:
    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.cases = Insert(AfterSale, _CASE_COLUMNS, db, same=_CASE_SAME)
        self.items = Insert(CaseItem, ("shop_id", "case_id", "order_item_id", "sku_code", "qty"), db)
        self.events = Insert(
            CaseEvent,
            ("shop_id", "case_id", "at", "to_state"),
            db,
            same=("seq", "action", "actor_role", "actor_id", "from_state", "data"),
        )
        self.timers = Insert(
            Timer,
            ("shop_id", "case_id", "kind", "state", "due_at", "next_attempt_at", "created_at"),
            db,
            same=("case_version",),
        )

    def load(self, cursor: CursorWrapper, orders: Sequence[OrderCases]) -> int:
        """Writes the cases of ``orders`` (whose items are already written) and returns how many."""
        if not orders:
            return 0
        order_ids = [o.order_id for o in orders]
        self.cases.run(
            cursor,
            [_case_row(o, c) for o in orders for c in o.cases],
            initiated_by="buyer",
            counts_as_application=True,
            version=1,
            event_seq=1,
        )
        # Within one order, ids follow the order the cases were inserted in.
        case_ids: dict[int, list[int]] = {}
        for order_id, case_id in sorted(
            select_in(cursor, AfterSale, ("order_id", "id"), "order_id", order_ids), key=lambda r: r[1]
        ):
            case_ids.setdefault(order_id, []).append(case_id)
        item_ids = {
            (order_id, sku): item_id
            for order_id, sku, item_id in select_in(
                cursor, OrderItem, ("order_id", "sku_code", "id"), "order_id", order_ids
            )
        }
        items: list[Row] = []
        events: list[Row] = []
        timers: list[Row] = []
        for o in orders:
            for case_id, c in zip(case_ids[o.order_id], o.cases, strict=True):
                items += [
                    (o.shop_id, case_id, item_ids[(o.order_id, ci.sku)], ci.sku, ci.qty) for ci in c.items
                ]
                events.append((o.shop_id, case_id, c.created_at, c.state))
                deadline = _deadline(c)
                if deadline is not None and c.state in KIND_BY_STATE:
                    timers.append(
                        (
                            o.shop_id,
                            case_id,
                            KIND_BY_STATE[c.state],
                            c.state,
                            deadline,
                            deadline,
                            c.created_at,
                        )
                    )
        self.items.run(cursor, items)
        # Imported as it was: event 1 of the case, by the system, with no state before it.
        self.events.run(
            cursor,
            events,
            seq=1,
            action="import",
            actor_role="system",
            actor_id="import",
            from_state="",
            data=IMPORT_EVENT_DATA,
        )
        self.timers.run(cursor, timers, case_version=1)
        return len(events)


def _deadline(case: CaseShape) -> datetime | None:
    return None if case.state in t.FINAL_STATES else case.deadline_at


def _case_row(order: OrderCases, c: CaseShape) -> Row:
    merchant_fault = REASONS[c.reason_code].merchant_fault
    deadline = _deadline(c)
    return (
        order.shop_id,
        order.order_id,
        order.order_sn,
        order.buyer_id,
        c.type,
        c.state,
        c.close_reason if c.state == t.CLOSED else "",
        t.WAITING_ON[c.state],
        c.reason_code,
        merchant_fault,
        return_freight_payer(merchant_fault=merchant_fault, insured=order.insured),
        c.refund_fen,
        deadline,
        deadline or NO_DEADLINE,
        c.created_at,
        c.updated_at or c.created_at,
    )
