"""The buyer's application (申请售后): gather the facts, let the policy decide, create the case."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.cases import policy
from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale, CaseItem
from aftersales.cases.reasons import REASONS, return_freight_payer
from aftersales.cases.services.common import refundable_from, refunded_from, refunded_statement, transition
from aftersales.catalog.models import Sku
from aftersales.core import clock, rows
from aftersales.core import errors as e
from aftersales.core.actors import BUYER, Actor
from aftersales.orders.models import Order, OrderItem
from aftersales.refunds.models import Refund
from aftersales.risk.queries import SkuKey, same_sku_from, same_sku_statement
from aftersales.risk.services import SUSPECTED_ABUSE, close_entry_for_abuse

MAX_EVIDENCE = 9

POLICY_ERRORS: dict[str, type[e.DomainError]] = {
    "not_found": e.NotFound,
    "entry_closed": e.EntryClosed,
    "case_already_open": e.CaseAlreadyOpen,
    "max_applications_reached": e.MaxApplicationsReached,
    "window_expired": e.WindowExpired,
    "no_reason_return_excluded": e.NoReasonReturnExcluded,
    "amount_exceeds_refundable": e.AmountExceedsRefundable,
}


@dataclass(frozen=True)
class ItemRequest:
    sku: str
    qty: int


@dataclass(frozen=True)
class Application:
    order_sn: str
    type: str
    reason_code: str
    items: list[ItemRequest]
    refund_fen: int | None = None
    exchange_sku: str | None = None
    description: str = ""
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Abuse:
    order_id: int
    sku: str
    count: int


def apply(application: Application, *, actor: Actor) -> AfterSale:
    """Create a case for the buyer, or raise the first policy rule that refuses it (nothing stored, except
    that suspected abuse closes the order's entry and leaves a risk record, as rule 8 says)."""
    if actor.role != BUYER or actor.buyer_id is None:
        raise e.Forbidden(role=actor.role, allowed_roles=[BUYER], action="apply")
    _check_shape(application)
    with transaction.atomic():
        outcome = _apply_locked(application, actor)
    if isinstance(outcome, _Abuse):
        close_entry_for_abuse(
            order_id=outcome.order_id,
            sku_code=outcome.sku,
            recent_cases=outcome.count,
            days=policy.ABUSE_DAYS,
            limit=policy.ABUSE_CASES,
        )
        raise e.EntryClosed(entry_closed_reason=SUSPECTED_ABUSE)
    return outcome


def _check_shape(a: Application) -> None:
    if a.type not in t.TYPES:
        raise e.ValidationFailed(
            field="type", message=_("type must be one of %(types)s") % {"types": ", ".join(t.TYPES)}
        )
    if a.reason_code not in REASONS:
        raise e.ValidationFailed(
            field="reason_code",
            message=_("unknown reason_code '%(reason_code)s'") % {"reason_code": a.reason_code},
        )
    if not a.items:
        raise e.ValidationFailed(field="items", message=_("name at least one item"))
    if len({i.sku for i in a.items}) != len(a.items):
        raise e.ValidationFailed(field="items", message=_("each SKU appears once; add up the quantities"))
    if any(i.qty <= 0 for i in a.items):
        raise e.ValidationFailed(field="items", message=_("quantities must be positive"))
    if len(a.evidence) > MAX_EVIDENCE or any(not u.startswith(("https://", "http://")) for u in a.evidence):
        raise e.ValidationFailed(
            field="evidence", message=_("up to %(max)s http(s) URLs") % {"max": MAX_EVIDENCE}
        )


def _apply_locked(a: Application, actor: Actor) -> AfterSale | _Abuse:
    # The order, locked, and its lines, read after the lock is granted, in one round trip on PostgreSQL.
    found, order_lines = rows.fetch(
        rows.query(Order, related="shop", lock=True, one=True, order_sn=a.order_sn),
        rows.query_where(OrderItem, "t.order_id IN (SELECT id FROM orders_order WHERE order_sn = %s)",
                         [a.order_sn], related="sku", one=False),
    )  # fmt: skip
    order = found[0] if found else None
    if order is None or order.buyer_id != actor.buyer_id:
        raise e.NotFound(what="order")
    lines = _order_lines(order, order_lines, a.items)
    exchange_sku = a.exchange_sku if a.type == t.EXCHANGE else None
    if exchange_sku and not Sku.objects.filter(shop_id=order.shop_id, sku=exchange_sku).exists():
        raise e.ValidationFailed(
            field="exchange_sku", message=_("this shop has no SKU %(sku)s") % {"sku": exchange_sku}
        )
    now = clock.now()
    reason = REASONS[a.reason_code]
    requested_fen = sum(line.paid_fen * req.qty // line.qty for line, req in lines)
    refund_fen = (
        (a.refund_fen if a.refund_fen is not None else requested_fen) if a.type in t.MONEY_TYPES else 0
    )
    # Rules 2, 3, 7 and 8 each need a count; they are read together.
    skus = [line.sku_code for line, _ in lines]
    abuse_keys = {(order.shop_id, order.buyer_id, sku) for sku in skus}
    open_rows, used_rows, refunded_rows, abuse_rows = rows.read_together(
        _open_case_statement([line for line, _ in lines]),
        _applications_statement(order),
        refunded_statement(order.shop_id, order.pk, excluding_case=None),
        same_sku_statement(abuse_keys, now=now),
    )
    refunded = refunded_from(refunded_rows)
    facts = policy.ApplicationFacts(
        at=now,
        case_type=a.type,
        order_paid=order.paid_at <= now,
        buyer_owns_order=True,
        entry_closed_reason=order.entry_closed_reason,
        open_case_id=int(open_rows[0][0]) if open_rows else None,
        applications_used=int(used_rows[0][0]),
        signed_at=order.signed_at,
        shipped=order.shipped_at is not None,
        time_zone=order.shop.time_zone,
        merchant_fault=reason.merchant_fault,
        excluded_skus=tuple(line.sku_code for line, _ in lines if not line.sku.no_reason_return),
        refund_fen=refund_fen,
        refundable_fen=refundable_from(order, [(line, req.qty) for line, req in lines], refunded),
        recent_cases_same_sku=0,
    )
    decision = policy.check_application(facts)
    if decision.ok:
        abuse = _most_applied(skus, order, same_sku_from(abuse_rows, abuse_keys))
        decision = policy.check_application(dataclasses.replace(facts, recent_cases_same_sku=abuse[1]))
        if not decision.ok:
            return _Abuse(order_id=order.pk, sku=abuse[0], count=abuse[1])
    if not decision.ok:
        raise POLICY_ERRORS[decision.code](**decision.params)
    if order.shipped_at is None and a.type != t.REFUND_ONLY:
        raise e.NotShipped(order_sn=order.order_sn)
    return _create(a, actor, order, lines, refund_fen, now)


def _order_lines(
    order: Order, order_lines: list[OrderItem], items: list[ItemRequest]
) -> list[tuple[OrderItem, ItemRequest]]:
    """Each requested item with the order's line of its SKU; an item the order lacks, or more of it than the
    order has, is refused."""
    by_sku = {line.sku_code: line for line in order_lines}
    lines = []
    for req in items:
        line = by_sku.get(req.sku)
        if line is None:
            raise e.ValidationFailed(
                field="items",
                message=_("SKU %(sku)s is not in order %(order_sn)s")
                % {"sku": req.sku, "order_sn": order.order_sn},
            )
        if req.qty > line.qty:
            raise e.ValidationFailed(
                field="items",
                message=_("%(qty)s × %(sku)s asked, but the order has %(ordered)s")
                % {"qty": req.qty, "sku": req.sku, "ordered": line.qty},
            )
        lines.append((line, req))
    return lines


def _open_case_statement(lines: list[OrderItem]) -> rows.Statement:
    """A case still open on any of these order lines (rule 2)."""
    finals = sorted(t.FINAL_STATES)
    sql = (
        "SELECT ci.case_id FROM cases_caseitem ci JOIN cases_aftersale c ON c.id = ci.case_id"
        f" WHERE ci.order_item_id IN ({rows.marks(len(lines))})"
        f" AND c.state NOT IN ({rows.marks(len(finals))}) ORDER BY ci.id LIMIT 1"
    )
    return sql, [*(line.pk for line in lines), *finals]


def _applications_statement(order: Order) -> rows.Statement:
    """Rule 3's count: the buyer's applications on this order so far."""
    sql = (
        "SELECT COUNT(*) FROM cases_aftersale WHERE shop_id = %s AND order_id = %s AND counts_as_application"
    )
    return sql, [order.shop_id, order.pk]


def _most_applied(skus: list[str], order: Order, counts: dict[SkuKey, int]) -> tuple[str, int]:
    """The SKU with the most applications by this buyer in the last D days (since the platform last cleared
    a suspicion for it), and that count: rule 8's count, the same one the risk flags show."""
    best = ("", 0)
    for sku in skus:
        count = counts[(order.shop_id, order.buyer_id, sku)]
        if count > best[1]:
            best = (sku, count)
    return best


def _create(
    a: Application,
    actor: Actor,
    order: Order,
    lines: list[tuple[OrderItem, ItemRequest]],
    refund_fen: int,
    now: datetime,
) -> AfterSale:
    reason = REASONS[a.reason_code]
    instant = a.type == t.REFUND_ONLY and order.shipped_at is None
    case = AfterSale(
        shop_id=order.shop_id,
        shop=order.shop,
        order=order,
        order_sn=order.order_sn,
        buyer_id=order.buyer_id,
        type=a.type,
        state=t.NEW,
        reason_code=a.reason_code,
        merchant_fault=reason.merchant_fault,
        return_freight_payer=return_freight_payer(
            merchant_fault=reason.merchant_fault, insured=order.return_freight_insured
        ),
        refund_fen=refund_fen,
        freight_refund_fen=order.freight_fen if instant and not _freight_refunded(order) else 0,
        exchange_sku=(a.exchange_sku or lines[0][0].sku_code) if a.type == t.EXCHANGE else "",
        description=a.description,
        evidence=list(a.evidence),
        initiated_by=BUYER,
        counts_as_application=True,
        version=0,
        created_at=now,
        updated_at=now,
    )
    items = [
        CaseItem(shop_id=order.shop_id, order_item=line, sku_code=line.sku_code, qty=req.qty)
        for line, req in lines
    ]
    data = {
        "reason_code": a.reason_code,
        "items": [{"sku": req.sku, "qty": req.qty} for _, req in lines],
        "refund_fen": refund_fen,
        "description": a.description,
        "evidence": list(a.evidence),
    }
    transition(
        case, "apply_instant_refund" if instant else "apply", actor=actor, at=now, data=data, new_items=items
    )
    return case


def _freight_refunded(order: Order) -> bool:
    return Refund.objects.filter(case__shop_id=order.shop_id, case__order=order, freight_fen__gt=0).exists()
