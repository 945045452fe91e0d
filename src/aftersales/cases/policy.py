"""May this buyer apply? The rules of domain.md section 5, in order, over plain facts.

Pure functions: the service gathers the facts, this module decides, and the first failing rule is the
answer with its code and the numbers its message names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aftersales.cases import transitions as t

MAX_APPLICATIONS = 3
WINDOW_DAYS = 7
ABUSE_CASES = 3
ABUSE_DAYS = 30


@dataclass(frozen=True)
class Decision:
    ok: bool
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


ALLOW = Decision(ok=True)


@dataclass(frozen=True)
class ApplicationFacts:
    """Everything the rules look at, gathered by the service before it decides."""

    at: datetime
    case_type: str
    order_paid: bool
    buyer_owns_order: bool
    entry_closed_reason: str
    open_case_id: int | None
    applications_used: int
    signed_at: datetime | None
    shipped: bool
    time_zone: str
    merchant_fault: bool
    excluded_skus: tuple[str, ...]
    refund_fen: int
    refundable_fen: int
    recent_cases_same_sku: int
    max_applications: int = MAX_APPLICATIONS
    window_days: int = WINDOW_DAYS
    abuse_cases: int = ABUSE_CASES


def window_ends_at(signed_at: datetime, time_zone: str, days: int = WINDOW_DAYS) -> datetime:
    """The window starts the day after signing and ends at 24:00 of its last day, shop time."""
    tz = ZoneInfo(time_zone)
    signed_day = signed_at.astimezone(tz).date()
    return datetime.combine(signed_day + timedelta(days=days + 1), time(0), tzinfo=tz)


def check_application(f: ApplicationFacts) -> Decision:
    for rule in (
        _owned_and_paid,
        _entry_open,
        _no_open_case,
        _applications_left,
        _within_window,
        _no_reason_return_allowed,
        _amount_refundable,
        _not_abuse,
    ):
        decision = rule(f)
        if not decision.ok:
            return decision
    return ALLOW


def _owned_and_paid(f: ApplicationFacts) -> Decision:
    if not (f.buyer_owns_order and f.order_paid):
        return Decision(False, "not_found", {"what": "order"})
    return ALLOW


def _entry_open(f: ApplicationFacts) -> Decision:
    if f.entry_closed_reason:
        return Decision(False, "entry_closed", {"entry_closed_reason": f.entry_closed_reason})
    return ALLOW


def _no_open_case(f: ApplicationFacts) -> Decision:
    if f.open_case_id is not None:
        return Decision(False, "case_already_open", {"case_id": f.open_case_id})
    return ALLOW


def _applications_left(f: ApplicationFacts) -> Decision:
    if f.applications_used >= f.max_applications:
        return Decision(
            False,
            "max_applications_reached",
            {"applications_used": f.applications_used, "max_applications": f.max_applications},
        )
    return ALLOW


def _within_window(f: ApplicationFacts) -> Decision:
    if f.signed_at is None:
        return ALLOW
    ends = window_ends_at(f.signed_at, f.time_zone, f.window_days)
    if f.at >= ends:
        return Decision(
            False,
            "window_expired",
            {"signed_at": f.signed_at, "window_ends_at": ends, "time_zone": f.time_zone},
        )
    return ALLOW


def _no_reason_return_allowed(f: ApplicationFacts) -> Decision:
    goods_go_back = f.case_type in (t.RETURN_REFUND, t.EXCHANGE)
    if goods_go_back and not f.merchant_fault and f.excluded_skus:
        return Decision(False, "no_reason_return_excluded", {"sku": f.excluded_skus[0]})
    return ALLOW


def _amount_refundable(f: ApplicationFacts) -> Decision:
    return check_refund_amount(f.case_type, f.refund_fen, f.refundable_fen)


def check_refund_amount(case_type: str, refund_fen: int, refundable_fen: int) -> Decision:
    """Rule 7, also used when a rejected application is changed: positive, and no more than is refundable."""
    if case_type not in t.MONEY_TYPES:
        return ALLOW
    if refund_fen <= 0 or refund_fen > refundable_fen:
        return Decision(
            False,
            "amount_exceeds_refundable",
            {"requested_fen": refund_fen, "refundable_fen": refundable_fen},
        )
    return ALLOW


def _not_abuse(f: ApplicationFacts) -> Decision:
    if f.recent_cases_same_sku >= f.abuse_cases:
        return Decision(False, "entry_closed", {"entry_closed_reason": "suspected_abuse"})
    return ALLOW
