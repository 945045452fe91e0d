"""What the payment side reports about a case's refund: settled (refunding → refunded) or failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.cases.services.common import save_note, transition
from aftersales.core import clock, rows
from aftersales.core.actors import Actor
from aftersales.core.errors import NotFound, ValidationFailed
from aftersales.refunds import services as refunds
from aftersales.refunds.models import Refund

OUTCOMES = ("succeeded", "failed")


@dataclass(frozen=True)
class RefundOutcome:
    refund: Refund
    changed: bool  # False when the report changed nothing (already settled, or a repeat)


def record_refund_outcome(
    refund_id: int, *, actor: Actor, status: str, at: datetime | None = None, reason: str = ""
) -> RefundOutcome:
    """Idempotent: a refund that already succeeded ignores any later report, so it is paid once."""
    if status not in OUTCOMES:
        raise ValidationFailed(field="status", message=_("status must be succeeded or failed"))
    with transaction.atomic():
        # The refund's case and then the refund, each locked (lock order: case first), in one round trip.
        case_q = rows.query_where(
            AfterSale,
            "t.id = (SELECT case_id FROM refunds_refund WHERE id = %s)",
            [refund_id],
            related="shop",
            lock=True,
        )
        cases, found = rows.fetch(case_q, rows.query(Refund, lock=True, one=True, id=refund_id))
        if not found or not cases:
            raise NotFound(what="refund")
        case, refund = cases[0], found[0]
        when = at or clock.now()
        if status == "succeeded":
            changed = refunds.mark_succeeded(refund, at=when)
            if changed and case.state == t.REFUNDING:
                transition(
                    case,
                    "settle",
                    actor=actor,
                    at=when,
                    data={"refund_id": refund.pk, "amount_fen": refund.amount_fen},
                    refund=refund,
                    also=[refund],
                )
            elif changed:
                rows.update(refund)
        else:
            changed = refunds.mark_failed(refund, at=when, reason=reason or "reported failed by the provider")
            if changed:
                rows.update(refund)
        if changed and status == "failed":
            save_note(
                case,
                "refund_failed",
                actor=actor,
                at=when,
                data={"refund_id": refund.pk, "reason": refund.failure_reason, "attempts": refund.attempts},
            )
        return RefundOutcome(refund, changed)
