"""The merchant's commands on a case: agree, reject, confirm a returned parcel."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.cases.services.common import load_for_action, restock_alert_on_shortage, transition
from aftersales.catalog import stock
from aftersales.core import clock
from aftersales.core.actors import Actor
from aftersales.core.errors import ValidationFailed

ADDRESS_FIELDS = ("name", "phone", "address")


def _clean_address(address: dict[str, Any] | None) -> dict[str, str] | None:
    if address is None:
        return None
    cleaned = {k: str(address.get(k, "")).strip() for k in ADDRESS_FIELDS}
    if not all(cleaned.values()):
        raise ValidationFailed(
            field="return_address", message=_("a return address needs name, phone and address")
        )
    return cleaned


def agree(
    case_id: int, *, actor: Actor, version: int | None = None, return_address: dict[str, Any] | None = None
) -> AfterSale:
    with restock_alert_on_shortage(case_id), transaction.atomic():
        case = load_for_action(case_id, actor, "agree", version)
        now = clock.now()
        data: dict[str, Any] = {}
        if t.next_state(case.state, "agree", case.type) == t.AWAITING_RETURN:
            address = _clean_address(return_address) or _clean_address(case.shop.default_return_address)
            if address is None:
                raise ValidationFailed(
                    field="return_address", message=_("give a return address; the shop has no default one")
                )
            case.return_address = address
            data["return_address"] = address
        transition(case, "agree", actor=actor, at=now, data=data)
        return case


def reject(case_id: int, *, actor: Actor, reason: str, version: int | None = None) -> AfterSale:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(field="reason", message=_("a rejection needs a reason the buyer can read"))
    with transaction.atomic():
        case = load_for_action(case_id, actor, "reject", version)
        transition(case, "reject", actor=actor, at=clock.now(), data={"reason": reason})
        return case


def receive_return(
    case_id: int,
    *,
    actor: Actor,
    accept: bool,
    note: str = "",
    resellable: bool = False,
    version: int | None = None,
) -> AfterSale:
    note = note.strip()
    if not accept and not note:
        raise ValidationFailed(field="note", message=_("refusing a returned parcel needs a reason"))
    with transaction.atomic():
        case = load_for_action(case_id, actor, "receive_return", version)
        action = "receive_return:accept" if accept else "receive_return:refuse"
        now = clock.now()
        data = {"accept": accept, "note": note, "resellable": accept and resellable}
        transition(case, action, actor=actor, at=now, data=data)
        if accept and resellable:
            for item in case.items.all():
                stock.restock(shop_id=case.shop_id, sku=item.sku_code, qty=item.qty, at=now)
        return case
