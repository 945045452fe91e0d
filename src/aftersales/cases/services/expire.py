"""What the system does when a case's deadline passes (domain.md section 6), as the actor ``system``."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.cases.services.common import save_note, transition
from aftersales.core import clock, rows
from aftersales.core.actors import Actor
from aftersales.timers.models import FIRED, OBSOLETE, Timer

# States whose deadline raises an alert instead of moving the case.
ALERT_ONLY = frozenset({t.REFUNDING, t.PLATFORM_REVIEW})


def expire(
    case_id: int,
    *,
    state: str,
    at: datetime | None = None,
    timer: Timer | None = None,
    case: AfterSale | None = None,
) -> str:
    """Act on the deadline of ``state`` if the case is still in it and its deadline has passed at ``at``
    (default: the clock), and close ``timer`` (the worker's claimed timer, if any) with the change. ``case``
    is the case when the caller has read it, with its shop, locked in this transaction (the worker's claim).

    Every change of state replaces the case's pending timer, so a pending timer always belongs to the
    current visit of its state. Returns ``fired`` or ``obsolete`` (the case moved on)."""
    # No savepoint of its own: inside the worker's transaction a failure rolls back to the worker's boundary.
    with transaction.atomic(savepoint=False):
        if case is None:
            case = rows.get_with(AfterSale, "shop", lock=True, id=case_id)
        now = at or clock.now()
        if case is None or case.state != state or case.deadline_at is None or case.deadline_at > now:
            _close(timer, OBSOLETE, now)
            return "obsolete"
        system = Actor.system()
        if state in ALERT_ONLY:
            save_note(case, "deadline_breached", actor=system, at=now, data={"state": state,
                      "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None})  # fmt: skip
            _close(timer, FIRED, now)
            return "fired"
        data: dict[str, object] = {"deadline_at": case.deadline_at.isoformat() if case.deadline_at else None}
        if state == t.PENDING_MERCHANT and t.next_state(state, "expire", case.type) == t.AWAITING_RETURN:
            case.return_address = case.shop.default_return_address
            data["return_address"] = case.return_address
        if state == t.AWAITING_SHIPMENT:
            data["late_shipment"] = True
        # The change closes ``timer`` as fired as it retires the case's pending timers.
        transition(case, "expire", actor=system, at=now, data=data, fired=timer)
        return "fired"


def _close(timer: Timer | None, status: str, now: datetime) -> None:
    if timer is not None:
        timer.status, timer.fired_at = status, now
        rows.update(timer, ["status", "fired_at"])
