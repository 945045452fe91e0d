"""Writing timers: the service that changes a case's state calls ``replace_case_timer`` in the same
transaction, so a deadline exists exactly while its state does."""

from __future__ import annotations

from datetime import datetime

from aftersales.core import rows
from aftersales.timers.models import FIRED, OBSOLETE, PENDING, Timer

_TABLE = Timer._meta.db_table

# The kind of timer each waiting state sets (what happens when its deadline passes).
KIND_BY_STATE = {
    "awaiting_buyer_confirmation": "buyer_confirmation_overdue",
    "pending_merchant": "merchant_overdue",
    "rejected": "buyer_overdue",
    "awaiting_return": "return_not_shipped",
    "return_in_transit": "return_not_received",
    "awaiting_shipment": "shipment_overdue",
    "replacement_in_transit": "replacement_auto_confirm",
    "refunding": "refund_breach",
    "platform_review": "platform_review_breach",
}


def replace_case_timer(
    *,
    shop_id: int,
    case_id: int,
    state: str,
    version: int,
    deadline_at: datetime | None,
    now: datetime,
    previous_state: str | None = None,
    fired: Timer | None = None,
) -> None:
    """Make the case's pending timer the one of ``state``. A ``previous_state`` that sets no timer (a case
    just made) had none to retire. ``fired`` is the pending timer whose firing made the change: it is closed
    as fired, the others as obsolete, by the same statement."""
    if fired is not None:
        rows.run(
            f"UPDATE {_TABLE} SET status = CASE WHEN id = %s THEN %s ELSE %s END, fired_at = %s"
            " WHERE shop_id = %s AND case_id = %s AND status = %s",
            [fired.pk, FIRED, OBSOLETE, rows.stamp(now), shop_id, case_id, PENDING],
        )
        fired.status, fired.fired_at = FIRED, now
    elif previous_state is None or previous_state in KIND_BY_STATE:
        rows.update_where(
            Timer, {"status": OBSOLETE, "fired_at": now}, shop_id=shop_id, case_id=case_id, status=PENDING
        )
    kind = KIND_BY_STATE.get(state)
    if kind is None or deadline_at is None:
        return
    rows.insert(
        Timer(
            shop_id=shop_id,
            case_id=case_id,
            kind=kind,
            state=state,
            case_version=version,
            due_at=deadline_at,
            next_attempt_at=deadline_at,
            created_at=now,
        ),
        returning=False,
    )
