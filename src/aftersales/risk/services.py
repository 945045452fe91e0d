"""Abuse rule 8: close an order's after-sales entry and leave a record for the platform; the platform
alone reopens it."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.actors import PLATFORM, Actor
from aftersales.core.errors import Forbidden, NotFound, ValidationFailed
from aftersales.orders.models import Order
from aftersales.risk.models import RiskRecord

SUSPECTED_ABUSE = "suspected_abuse"


def close_entry_for_abuse(
    *, order_id: int, sku_code: str, recent_cases: int, days: int, limit: int
) -> RiskRecord:
    """Runs in its own transaction: the closure stands even though the application is refused."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        now = clock.now()
        order.entry_closed_reason = SUSPECTED_ABUSE
        order.entry_closed_at = now
        order.save(update_fields=["entry_closed_reason", "entry_closed_at"])
        return RiskRecord.objects.create(
            shop_id=order.shop_id,
            order=order,
            buyer_id=order.buyer_id,
            kind=SUSPECTED_ABUSE,
            sku_code=sku_code,
            details={"recent_cases": recent_cases, "days": days, "limit": limit},
            created_at=now,
        )


def reopen_entry(*, actor: Actor, order_sn: str, note: str) -> Order:
    if actor.role != PLATFORM:
        raise Forbidden(role=actor.role, allowed_roles=[PLATFORM])
    if not note.strip():
        raise ValidationFailed(field="note", message=_("say why the entry is reopened"))
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(order_sn=order_sn).first()
        if order is None:
            raise NotFound(what="order")
        now = clock.now()
        order.entry_closed_reason = ""
        order.entry_closed_at = None
        order.save(update_fields=["entry_closed_reason", "entry_closed_at"])
        RiskRecord.objects.filter(order=order, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=actor.id, resolution_note=note
        )
        return order
