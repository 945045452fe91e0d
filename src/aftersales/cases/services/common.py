"""What every case command shares: loading a case the actor may see, under lock; the version check;
saving the change with its one event, its timer and the refund it starts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Sum

from aftersales.accounts.models import Shop
from aftersales.cases import transitions as t
from aftersales.cases.deadlines import deadline_for
from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.core.actors import BUYER, MERCHANT, Actor
from aftersales.core.calendar import BusinessCalendar
from aftersales.core.errors import Forbidden, NotFound, StaleVersion
from aftersales.logistics.models import RETURN
from aftersales.orders.models import Order
from aftersales.refunds import services as refunds
from aftersales.refunds.models import Refund
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


def check_role(actor: Actor, action: str) -> None:
    if action not in ROLE_ACTIONS.get(actor.role, frozenset()):
        allowed_roles = sorted(r for r, actions in ROLE_ACTIONS.items() if action in actions)
        raise Forbidden(role=actor.role, allowed_roles=allowed_roles, action=action)


def load_for_action(case_id: int, actor: Actor, action: str, version: int | None = None) -> AfterSale:
    """The case, locked for this transaction (lock order: case → order → SKU). ``not_found`` for a case the
    actor may not see, ``forbidden`` for an action the role never takes, ``stale_version`` for an old version."""
    case = AfterSale.objects.select_for_update().select_related("shop", "order").filter(pk=case_id).first()
    if case is None or not visible_to(case, actor):
        raise NotFound(what="after-sales case")
    check_role(actor, action)
    if version is not None and version != case.version:
        raise StaleVersion(sent_version=version, current_version=case.version)
    return case


def transition(
    case: AfterSale, action: str, *, actor: Actor, at: datetime, data: dict[str, Any] | None = None
) -> CaseEvent:
    """Apply one edge, save the case and its event, replace its timer, and start its refund if it now
    waits on payment. The caller holds the case's lock inside ``transaction.atomic()``."""
    calendar = calendar_for(case.shop)
    event = case.apply(
        action, actor=actor, at=at, data=data, deadline=lambda s: deadline_for(s, at, calendar)
    )
    if case.state == t.REFUNDING:
        _prepare_refund(case, actor)
    case.save()
    event.save()
    replace_case_timer(
        shop_id=case.shop_id,
        case_id=case.pk,
        state=case.state,
        version=case.version,
        deadline_at=case.deadline_at,
        now=at,
    )
    if case.state == t.REFUNDING:
        refunds.start_refund(
            shop_id=case.shop_id,
            case_id=case.pk,
            goods_fen=case.refund_fen,
            freight_fen=case.freight_refund_fen,
            decided_by=case.refund_decided_by,
            at=at,
            calendar=calendar,
            goods_received_at=at if action.startswith("receive_return") else None,
        )
    return event


def save_note(case: AfterSale, action: str, *, actor: Actor, at: datetime, data: dict[str, Any]) -> CaseEvent:
    event = case.note(action, actor=actor, at=at, data=data)
    case.save()
    event.save()
    return event


def _prepare_refund(case: AfterSale, actor: Actor) -> None:
    """Fix the money the case pays back as it enters ``refunding``: the goods part (for goods types, what the
    items cost), and the return freight when the merchant bears it."""
    case.refund_decided_by = actor.role
    if case.type in t.GOODS_TYPES and case.refund_fen == 0:
        case.refund_fen = items_paid_fen(case)
    if case.return_freight_payer == "merchant":
        shipment = case.shipments.filter(kind=RETURN).first()
        if shipment is not None:
            case.freight_refund_fen = shipment.freight_fen


def items_paid_fen(case: AfterSale) -> int:
    total = 0
    for item in case.items.select_related("order_item"):
        line = item.order_item
        total += line.paid_fen * item.qty // line.qty
    return total


def goods_refunded_fen(order: Order) -> int:
    """Goods money already paid back, or on its way, on this order."""
    total = Refund.objects.filter(case__order=order).aggregate(s=Sum("goods_fen"))["s"]
    return int(total or 0)
