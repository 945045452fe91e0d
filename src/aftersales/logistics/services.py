"""Carrier events (picked up, in transit, delivered) arriving by webhook, applied to the case's parcels.

A delivered return brings the merchant's deadline forward to 48 hours after delivery (domain.md section 6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.cases import transitions as t
from aftersales.cases.deadlines import RETURN_DELIVERED_HOURS
from aftersales.cases.models import AfterSale
from aftersales.cases.services.common import save_note
from aftersales.core import clock
from aftersales.core.actors import PLATFORM, Actor
from aftersales.core.errors import Forbidden, ValidationFailed
from aftersales.logistics.carriers import validate_tracking_no
from aftersales.logistics.models import RETURN, Shipment
from aftersales.timers.services import replace_case_timer

STATUSES = ("picked_up", "in_transit", "delivered")


@dataclass(frozen=True)
class Applied:
    shipments: int
    cases: list[int]


def record_carrier_event(
    *, actor: Actor, carrier: str, tracking_no: str, status: str, at: datetime | None
) -> Applied:
    if actor.role != PLATFORM:
        raise Forbidden(role=actor.role, allowed_roles=[PLATFORM])
    if status not in STATUSES:
        raise ValidationFailed(
            field="status",
            message=_("status must be one of %(statuses)s") % {"statuses": ", ".join(STATUSES)},
        )
    validate_tracking_no(carrier, tracking_no)
    when = at or clock.now()
    touched: list[int] = []
    case_ids = list(
        Shipment.objects.filter(carrier=carrier, tracking_no=tracking_no).values_list("case_id", flat=True)
    )
    for case_id in sorted(set(case_ids)):
        with transaction.atomic():
            # Lock order: the case, then its parcels.
            case = AfterSale.objects.select_for_update().select_related("shop").get(pk=case_id)
            for shipment in Shipment.objects.select_for_update().filter(
                case_id=case_id, carrier=carrier, tracking_no=tracking_no
            ):
                if _apply(case, shipment, status, when, actor):
                    touched.append(case_id)
    return Applied(shipments=len(case_ids), cases=touched)


def _apply(case: AfterSale, shipment: Shipment, status: str, when: datetime, actor: Actor) -> bool:
    """Record the scan once; a repeated scan changes nothing and leaves no event."""
    if status == "delivered":
        if shipment.delivered_at is not None:
            return False
        shipment.delivered_at = when
        shipment.picked_up_at = shipment.picked_up_at or when
    elif shipment.picked_up_at is None:
        shipment.picked_up_at = when
    else:
        return False
    shipment.save(update_fields=["picked_up_at", "delivered_at"])
    data: dict[str, object] = {"kind": shipment.kind, "status": status, "carrier": shipment.carrier,
                               "tracking_no": shipment.tracking_no, "at": when.isoformat()}  # fmt: skip
    if status == "delivered" and shipment.kind == RETURN and case.state == t.RETURN_IN_TRANSIT:
        sooner = when + timedelta(hours=RETURN_DELIVERED_HOURS)
        if case.deadline_at is None or sooner < case.deadline_at:
            case.move_deadline(sooner)
            data["deadline_at"] = sooner.isoformat()
    event = save_note(case, "carrier_event", actor=actor, at=clock.now(), data=data)
    if "deadline_at" in data:
        replace_case_timer(shop_id=case.shop_id, case_id=case.pk, state=case.state, version=case.version,
                           deadline_at=case.deadline_at, now=event.at)  # fmt: skip
    return True
