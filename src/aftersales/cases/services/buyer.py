"""The buyer's commands on an existing case: cancel, re-apply after a rejection, escalate, ship the return."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.cases import policy
from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.cases.reasons import REASONS, return_freight_payer
from aftersales.cases.services.apply import MAX_EVIDENCE
from aftersales.cases.services.common import (
    case_lines,
    load_for_action,
    load_with,
    refundable_fen,
    transition,
)
from aftersales.core import clock, rows
from aftersales.core.actors import Actor
from aftersales.core.errors import AmountExceedsRefundable, ValidationFailed
from aftersales.logistics.carriers import validate_tracking_no
from aftersales.logistics.models import RETURN, Shipment

MAX_RETURN_FREIGHT_FEN = 100_000


def cancel(case_id: int, *, actor: Actor, version: int | None = None) -> AfterSale:
    with transaction.atomic():
        case = load_for_action(case_id, actor, "cancel", version)
        transition(case, "cancel", actor=actor, at=clock.now())
        return case


def reapply(
    case_id: int,
    *,
    actor: Actor,
    version: int | None = None,
    reason_code: str | None = None,
    refund_fen: int | None = None,
    description: str | None = None,
    evidence: list[str] | None = None,
) -> AfterSale:
    """Change the rejected application and put it before the merchant again; it stays the same application."""
    if reason_code is not None and reason_code not in REASONS:
        raise ValidationFailed(
            field="reason_code",
            message=_("unknown reason_code '%(reason_code)s'") % {"reason_code": reason_code},
        )
    if evidence is not None and (
        len(evidence) > MAX_EVIDENCE or any(not u.startswith(("https://", "http://")) for u in evidence)
    ):
        raise ValidationFailed(
            field="evidence", message=_("up to %(max)s http(s) URLs") % {"max": MAX_EVIDENCE}
        )
    with transaction.atomic():
        case = load_for_action(case_id, actor, "reapply", version)
        t.edge_for(case.state, "reapply", case.type, actor.role)  # the state first, then the new amounts
        data: dict[str, object] = {}
        if reason_code is not None:
            reason = REASONS[reason_code]
            case.reason_code, case.merchant_fault = reason_code, reason.merchant_fault
            case.return_freight_payer = return_freight_payer(
                merchant_fault=reason.merchant_fault, insured=case.order.return_freight_insured
            )
            data["reason_code"] = reason_code
        if refund_fen is not None and case.type in t.MONEY_TYPES:
            lines = case_lines(case)
            refundable = refundable_fen(case.order, lines, excluding_case=case.pk)
            decision = policy.check_refund_amount(case.type, refund_fen, refundable)
            if not decision.ok:
                raise AmountExceedsRefundable(**decision.params)
            case.refund_fen = refund_fen
            data["refund_fen"] = refund_fen
        if description is not None:
            case.description = description
            data["description"] = description
        if evidence is not None:
            case.evidence = list(evidence)
            data["evidence"] = list(evidence)
        transition(case, "reapply", actor=actor, at=clock.now(), data=data)
        return case


def escalate(case_id: int, *, actor: Actor, reason: str = "", version: int | None = None) -> AfterSale:
    """平台介入: the buyer asks the platform to judge a rejection; the platform may step in on its own."""
    reason = reason.strip()
    if actor.role == "buyer" and not reason:
        raise ValidationFailed(field="reason", message=_("tell the platform why you disagree"))
    with transaction.atomic():
        case = load_for_action(case_id, actor, "escalate", version)
        transition(case, "escalate", actor=actor, at=clock.now(), data={"reason": reason})
        return case


def ship_return(
    case_id: int,
    *,
    actor: Actor,
    carrier: str,
    tracking_no: str,
    freight_fen: int = 0,
    version: int | None = None,
) -> AfterSale:
    validate_tracking_no(carrier, tracking_no)
    if not 0 <= freight_fen <= MAX_RETURN_FREIGHT_FEN:
        raise ValidationFailed(
            field="freight_fen",
            message=_("return freight must be between 0 and %(max)s fen") % {"max": MAX_RETURN_FREIGHT_FEN},
        )
    with transaction.atomic():
        # The return parcel entered before (a corrected tracking number), read with the case.
        case, entered = load_with(
            case_id,
            actor,
            "ship_return",
            version,
            also=rows.query(Shipment, one=True, case_id=case_id, kind=RETURN),
        )
        now = clock.now()
        data = {"carrier": carrier, "tracking_no": tracking_no, "freight_fen": freight_fen}
        shipment = entered[0] if entered else Shipment(shop_id=case.shop_id, case_id=case.pk, kind=RETURN)
        shipment.carrier, shipment.tracking_no, shipment.freight_fen = carrier, tracking_no, freight_fen
        shipment.shipped_at, shipment.picked_up_at, shipment.delivered_at = now, None, None
        transition(case, "ship_return", actor=actor, at=now, data=data, also=[shipment])
        return case
