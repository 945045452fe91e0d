"""HTTP: the payment provider's webhook (platform token)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from aftersales.api.auth import require
from aftersales.cases.services import record_refund_outcome
from aftersales.core.actors import PLATFORM, Actor
from aftersales.core.bounds import Instant, RowId

router = Router(tags=["payments"])


class RefundEventIn(Schema):
    refund_id: RowId
    status: Literal["succeeded", "failed"]
    at: Instant | None = None
    reason: str = Field("", max_length=200)


class Accepted(Schema):
    refund_id: int
    status: str


@router.post("/payments/refund-events", response={202: Accepted})
def refund_event(request: HttpRequest, body: RefundEventIn) -> Status[dict[str, object]]:
    caller = require(request, PLATFORM)
    refund = record_refund_outcome(
        body.refund_id, actor=Actor.payment(caller.id), status=body.status, at=body.at, reason=body.reason
    ).refund
    return Status(202, {"refund_id": refund.pk, "status": refund.status})
