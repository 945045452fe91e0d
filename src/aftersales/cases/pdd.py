"""Pinduoduo's numbers for our states and types (domain.md sections 2 and 3)."""

from __future__ import annotations

from aftersales.cases import transitions as t
from aftersales.core.actors import PLATFORM

LIST_TYPE_CODE = {t.REFUND_ONLY: 2, t.RETURN_REFUND: 3, t.EXCHANGE: 4, t.RESHIP: 5}
DETAIL_TYPE_CODE = {t.REFUND_ONLY: 1, t.RETURN_REFUND: 2, t.EXCHANGE: 3, t.RESHIP: 4}

_BY_STATE = {
    t.AWAITING_BUYER_CONFIRMATION: 15,
    t.REJECTED: 6,
    t.AWAITING_RETURN: 7,
    t.RETURN_IN_TRANSIT: 7,
    t.REPLACEMENT_IN_TRANSIT: 18,
    t.PLATFORM_REVIEW: 8,
    t.REFUNDED: 10,
    t.COMPLETED: 16,
}
_CLOSED = {"platform_rejected": 9, "buyer_cancelled": 11, "buyer_overdue": 12, "buyer_declined": 11,
           "fulfilment_failed": 17}  # fmt: skip


def pdd_status(*, state: str, case_type: str, close_reason: str, refund_decided_by: str) -> int:
    if state == t.PENDING_MERCHANT:
        return {t.REFUND_ONLY: 2, t.RETURN_REFUND: 3}.get(case_type, 14)
    if state == t.AWAITING_SHIPMENT:
        return 32 if case_type == t.RESHIP else 14
    if state == t.REFUNDING:
        return 5 if refund_decided_by == PLATFORM else 4
    if state == t.CLOSED:
        return _CLOSED.get(close_reason, 9)
    return _BY_STATE[state]
