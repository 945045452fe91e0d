"""Refund commands used by the case services: start the one refund of a case, record its outcome."""

from __future__ import annotations

from datetime import datetime, timedelta

from aftersales.core.calendar import BusinessCalendar
from aftersales.refunds.gateway import configured_gateway
from aftersales.refunds.models import FAILED, PENDING, SUCCEEDED, Refund

REFUND_BUSINESS_DAYS = 3
LEGAL_LIMIT_AFTER_RECEIPT = timedelta(days=7)
RETRY_AFTER = timedelta(minutes=10)


def open_refund(
    existing: Refund | None,
    *,
    shop_id: int,
    case_id: int,
    goods_fen: int,
    freight_fen: int,
    decided_by: str,
    at: datetime,
    calendar: BusinessCalendar,
    goods_received_at: datetime | None = None,
) -> Refund:
    """The case's refund: the row it already has (``existing``, read by the caller under the case's lock), or
    a new one, not yet saved, that the caller inserts with the change. Never two refunds for one case, and a
    unique key on the case backs that up."""
    if existing is not None:
        return existing
    due_by = calendar.due_by(at, REFUND_BUSINESS_DAYS)
    if goods_received_at is not None:
        due_by = min(due_by, goods_received_at + LEGAL_LIMIT_AFTER_RECEIPT)
    return Refund(
        shop_id=shop_id,
        case_id=case_id,
        goods_fen=goods_fen,
        freight_fen=freight_fen,
        amount_fen=goods_fen + freight_fen,
        status=PENDING,
        gateway=configured_gateway().name,
        decided_by=decided_by,
        initiated_at=at,
        next_attempt_at=at,
        due_by=due_by,
    )


def mark_succeeded(refund: Refund, *, at: datetime, gateway_ref: str = "") -> bool:
    """True when this call settled it; False when it had already succeeded (paid once, never twice).
    Changes the refund only: the caller saves it with the change it belongs to."""
    if refund.status == SUCCEEDED:
        return False
    refund.status = SUCCEEDED
    refund.settled_at = at
    refund.attempts += 1
    refund.gateway_ref = gateway_ref or refund.gateway_ref
    refund.failure_reason = ""
    return True


def mark_failed(refund: Refund, *, at: datetime, reason: str) -> bool:
    """A failed refund stays visible and is tried again after a pause; a settled one cannot fail. Changes the
    refund only, as ``mark_succeeded`` does."""
    if refund.status == SUCCEEDED:
        return False
    refund.status = FAILED
    refund.attempts += 1
    refund.failure_reason = reason[:200]
    refund.next_attempt_at = at + RETRY_AFTER * min(2 ** (refund.attempts - 1), 32)
    return True


def due_for_gateway(now: datetime, limit: int = 500) -> list[Refund]:
    """Refunds the worker should ask the gateway about now: pending ones first, then failed ones due a retry.
    One query."""
    due = Refund.objects.filter(status__in=[PENDING, FAILED], next_attempt_at__lte=now)
    return sorted(
        due.order_by("next_attempt_at")[:limit], key=lambda r: (r.status != PENDING, r.next_attempt_at)
    )
