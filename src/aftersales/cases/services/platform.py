"""The platform's decision on an escalated case (平台介入 → 判定)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.cases.models import AfterSale
from aftersales.cases.services.common import load_for_action, restock_alert_on_shortage, transition
from aftersales.core import clock
from aftersales.core.actors import Actor
from aftersales.core.errors import ValidationFailed

DECISIONS = ("refund", "reject", "return", "reship")


def decide(case_id: int, *, actor: Actor, decision: str, note: str, version: int | None = None) -> AfterSale:
    if decision not in DECISIONS:
        raise ValidationFailed(
            field="decision",
            message=_("decision must be one of %(decisions)s") % {"decisions": ", ".join(DECISIONS)},
        )
    note = note.strip()
    if not note:
        raise ValidationFailed(
            field="note", message=_("a platform decision needs a note both sides can read")
        )
    with restock_alert_on_shortage(case_id), transaction.atomic():
        case = load_for_action(case_id, actor, "decide", version)
        if decision == "refund":
            # Liability for a refund the platform orders is recorded against the merchant.
            case.merchant_liable = True
        data = {"decision": decision, "note": note, "merchant_liable": case.merchant_liable}
        if decision == "return":
            # The goods go back: to the address already given, else to the shop's default one.
            case.return_address = case.return_address or case.shop.default_return_address
            data["return_address"] = case.return_address
        transition(case, f"decide:{decision}", actor=actor, at=clock.now(), data=data)
        return case
