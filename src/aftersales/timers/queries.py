"""Read side for timers: what is due, and the ones that keep failing (shown to staff)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from aftersales.core.actors import MERCHANT, Actor
from aftersales.timers.models import Timer

LIMIT = 200


def timers(actor: Actor, *, status: str | None) -> list[dict[str, Any]]:
    qs: QuerySet[Timer] = Timer.objects.order_by("next_attempt_at", "id")
    if actor.role == MERCHANT:
        qs = qs.filter(shop_id=actor.shop_id) if actor.shop_id is not None else qs.none()
    if status:
        qs = qs.filter(status=status)
    return [
        {
            "id": t.pk,
            "case_id": t.case_id,
            "kind": t.kind,
            "state": t.state,
            "due_at": t.due_at.isoformat(),
            "status": t.status,
            "attempts": t.attempts,
            "last_error": t.last_error,
            "next_attempt_at": t.next_attempt_at.isoformat(),
            "fired_at": t.fired_at.isoformat() if t.fired_at else None,
        }
        for t in qs[:LIMIT]
    ]
