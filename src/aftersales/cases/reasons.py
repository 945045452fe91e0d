"""Reason codes (售后原因), their labels, and whether they are the merchant's fault."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Reason:
    code: str
    label: Promise
    merchant_fault: bool


REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        Reason("quality_issue", _("Quality problem"), True),
        Reason("missing_item", _("Missing item"), True),
        Reason("wrong_item", _("Wrong item sent"), True),
        Reason("damaged", _("Damaged"), True),
        Reason("not_as_described", _("Not as described"), True),
        Reason("not_received", _("Not received"), True),
        Reason("no_longer_needed", _("No longer needed"), False),
        Reason("ordered_by_mistake", _("Ordered by mistake"), False),
        Reason("size_unsuitable", _("Size unsuitable"), False),
    )
}

BUYER, MERCHANT, INSURER = "buyer", "merchant", "insurer"


def return_freight_payer(*, merchant_fault: bool, insured: bool) -> str:
    """Who bears the return freight (退货运费): the insurer when the order is insured, else the merchant for a
    merchant-fault reason, else the buyer."""
    if insured:
        return INSURER
    return MERCHANT if merchant_fault else BUYER
