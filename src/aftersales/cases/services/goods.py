"""Goods going out again: the merchant's reship proposal (商家帮买家申请补寄) and the buyer's answer, shipping
the replacement, the buyer confirming receipt, and a refund instead when the goods cannot be supplied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale, CaseItem
from aftersales.cases.reasons import REASONS, return_freight_payer
from aftersales.cases.services.common import load_for_action, transition
from aftersales.core import clock
from aftersales.core import errors as e
from aftersales.core.actors import MERCHANT, Actor
from aftersales.logistics.carriers import validate_tracking_no
from aftersales.logistics.models import REPLACEMENT, Shipment
from aftersales.orders.models import Order


@dataclass(frozen=True)
class Proposal:
    order_sn: str
    items: list[tuple[str, int]]
    reason_code: str
    address: dict[str, str] | None = None
    description: str = ""


def propose_reship(proposal: Proposal, *, actor: Actor) -> AfterSale:
    """The merchant files a reship for the buyer; it waits for the buyer's confirmation and does not count
    against the buyer's applications."""
    if actor.role != MERCHANT or actor.shop_id is None:
        raise e.Forbidden(role=actor.role, allowed_roles=[MERCHANT], action="propose_reship")
    if proposal.reason_code not in REASONS:
        raise e.ValidationFailed(
            field="reason_code",
            message=_("unknown reason_code '%(reason_code)s'") % {"reason_code": proposal.reason_code},
        )
    if not proposal.items or any(qty <= 0 for _, qty in proposal.items):
        raise e.ValidationFailed(field="items", message=_("name at least one item with a positive quantity"))
    if len({sku for sku, _ in proposal.items}) != len(proposal.items):
        raise e.ValidationFailed(field="items", message=_("each SKU appears once; add up the quantities"))
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .select_related("shop")
            .filter(order_sn=proposal.order_sn, shop_id=actor.shop_id)
            .first()
        )
        if order is None:
            raise e.NotFound(what="order")
        if order.shipped_at is None:
            raise e.NotShipped(order_sn=order.order_sn)
        lines = {line.sku_code: line for line in order.items.all()}
        for sku, qty in proposal.items:
            line = lines.get(sku)
            if line is None or qty > line.qty:
                raise e.ValidationFailed(
                    field="items",
                    message=_("%(qty)s × %(sku)s is more than order %(order_sn)s has")
                    % {"qty": qty, "sku": sku, "order_sn": order.order_sn},
                )
        open_case = (
            CaseItem.objects.filter(order_item__in=[lines[s] for s, _ in proposal.items])
            .exclude(case__state__in=t.FINAL_STATES)
            .values_list("case_id", flat=True)
            .first()
        )
        if open_case is not None:
            raise e.CaseAlreadyOpen(case_id=open_case)
        address = _address(proposal.address, order)
        now = clock.now()
        reason = REASONS[proposal.reason_code]
        case = AfterSale.objects.create(
            shop_id=order.shop_id, shop=order.shop, order=order, order_sn=order.order_sn,
            buyer_id=order.buyer_id, type=t.RESHIP, state=t.NEW, reason_code=proposal.reason_code,
            merchant_fault=reason.merchant_fault,
            return_freight_payer=return_freight_payer(merchant_fault=reason.merchant_fault,
                                                      insured=order.return_freight_insured),
            description=proposal.description, return_address=None, initiated_by=MERCHANT,
            counts_as_application=False, version=0, created_at=now, updated_at=now,
        )  # fmt: skip
        CaseItem.objects.bulk_create(
            CaseItem(shop_id=order.shop_id, case=case, order_item=lines[sku], sku_code=sku, qty=qty)
            for sku, qty in proposal.items
        )
        data = {"items": [{"sku": s, "qty": q} for s, q in proposal.items], "reason_code": proposal.reason_code,
                "address": address, "description": proposal.description}  # fmt: skip
        transition(case, "propose_reship", actor=actor, at=now, data=data)
        return case


def _address(address: dict[str, Any] | None, order: Order) -> dict[str, str]:
    if address is None:
        return {"name": order.receiver_name, "phone": order.receiver_phone, "address": order.receiver_address}
    cleaned = {k: str(address.get(k, "")).strip() for k in ("name", "phone", "address")}
    if not all(cleaned.values()):
        raise e.ValidationFailed(field="address", message=_("an address needs name, phone and address"))
    return cleaned


def confirm(case_id: int, *, actor: Actor, version: int | None = None) -> AfterSale:
    with transaction.atomic():
        case = load_for_action(case_id, actor, "confirm", version)
        transition(case, "confirm", actor=actor, at=clock.now())
        return case


def decline(case_id: int, *, actor: Actor, version: int | None = None, reason: str = "") -> AfterSale:
    with transaction.atomic():
        case = load_for_action(case_id, actor, "decline", version)
        transition(case, "decline", actor=actor, at=clock.now(), data={"reason": reason.strip()})
        return case


def ship(
    case_id: int, *, actor: Actor, carrier: str, tracking_no: str, version: int | None = None
) -> AfterSale:
    found = validate_tracking_no(carrier, tracking_no)
    with transaction.atomic():
        case = load_for_action(case_id, actor, "ship", version)
        now = clock.now()
        data = {"carrier": carrier, "carrier_name": found.name, "tracking_no": tracking_no}
        transition(case, "ship", actor=actor, at=now, data=data)
        Shipment.objects.update_or_create(
            case=case,
            kind=REPLACEMENT,
            defaults={"shop_id": case.shop_id, "carrier": carrier, "tracking_no": tracking_no, "shipped_at": now,
                      "picked_up_at": None, "delivered_at": None},
        )  # fmt: skip
        return case


def confirm_received(case_id: int, *, actor: Actor, version: int | None = None) -> AfterSale:
    with transaction.atomic():
        case = load_for_action(case_id, actor, "confirm_received", version)
        transition(case, "confirm_received", actor=actor, at=clock.now())
        return case


def refund_instead(case_id: int, *, actor: Actor, version: int | None = None, note: str = "") -> AfterSale:
    """The goods cannot be supplied: pay back what the items cost, and release the reserved stock."""
    with transaction.atomic():
        case = load_for_action(case_id, actor, "refund_instead", version)
        transition(case, "refund_instead", actor=actor, at=clock.now(), data={"note": note.strip()})
        return case
