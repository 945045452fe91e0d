"""How long each waiting state may wait (domain.md section 6, defaults), as a pure function."""

from __future__ import annotations

from datetime import datetime, timedelta

from aftersales.cases import transitions as t
from aftersales.core.calendar import BusinessCalendar

HOURS = {
    t.PENDING_MERCHANT: 48,
    t.REJECTED: 72,
    t.AWAITING_RETURN: 7 * 24,
    t.RETURN_IN_TRANSIT: 10 * 24,
    t.AWAITING_SHIPMENT: 48,
    t.REPLACEMENT_IN_TRANSIT: 10 * 24,
    t.AWAITING_BUYER_CONFIRMATION: 72,
}
BUSINESS_DAYS = {t.REFUNDING: 3, t.PLATFORM_REVIEW: 3}
RETURN_DELIVERED_HOURS = 48


def deadline_for(state: str, at: datetime, calendar: BusinessCalendar) -> datetime | None:
    """When the state entered at ``at`` runs out; None for final states."""
    if state in HOURS:
        return at + timedelta(hours=HOURS[state])
    if state in BUSINESS_DAYS:
        return calendar.due_by(at, BUSINESS_DAYS[state])
    return None
