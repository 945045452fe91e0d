"""Carriers and the formats of their tracking numbers (domain.md section 9). Extend the table as carriers
change their numbering."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from aftersales.core.errors import InvalidTrackingNo, UnknownCarrier


@dataclass(frozen=True)
class Carrier:
    code: str
    # Its name as the carrier writes it, kept in records and written into messages to the buyer.
    name: str
    # Its name in the language of the page that shows it.
    label: Promise
    pattern: re.Pattern[str]
    format: str

    def shown(self) -> Promise:
        """``ZTO Express (ZTO)`` / ``中通快递 (ZTO)``: how a page names it, in the page's language."""
        return format_lazy("{} ({})", self.label, self.code)


def _carrier(code: str, name: str, label: Promise, regex: str, fmt: str) -> Carrier:
    return Carrier(code, name, label, re.compile(regex), fmt)


CARRIERS: dict[str, Carrier] = {
    c.code: c
    for c in (
        _carrier("SF", "顺丰速运", gettext_lazy("SF Express"), r"SF\d{13}", "SF + 13 digits"),
        _carrier("ZTO", "中通快递", gettext_lazy("ZTO Express"), r"\d{12}|\d{15}", "12 or 15 digits"),
        _carrier("YTO", "圆通速递", gettext_lazy("YTO Express"), r"YT\d{13}", "YT + 13 digits"),
        _carrier("STO", "申通快递", gettext_lazy("STO Express"), r"\d{12,13}", "12 or 13 digits"),
        _carrier("YD", "韵达快递", gettext_lazy("Yunda Express"), r"\d{13}|\d{15}", "13 or 15 digits"),
        _carrier("JT", "极兔速递", gettext_lazy("J&T Express"), r"JT\d{13}", "JT + 13 digits"),
        _carrier(
            "JD",
            "京东物流",
            gettext_lazy("JD Logistics"),
            r"JD[A-Za-z0-9]{11,16}",
            "JD + 11 to 16 letters or digits",
        ),
        _carrier(
            "EMS",
            "中国邮政 EMS",
            gettext_lazy("China Post EMS"),
            r"\d{13}|[A-Za-z]{2}\d{9}[A-Za-z]{2}",
            "13 digits, or 2 letters + 9 digits + 2 letters",
        ),
    )
}


def validate_tracking_no(carrier: str, tracking_no: str) -> Carrier:
    """The carrier when ``tracking_no`` fits one of its formats; else ``unknown_carrier`` or ``invalid_tracking_no``."""
    found = CARRIERS.get(carrier)
    if found is None:
        raise UnknownCarrier(carrier=carrier, known_carriers=sorted(CARRIERS))
    if not found.pattern.fullmatch(tracking_no):
        raise InvalidTrackingNo(carrier=carrier, tracking_no=tracking_no, format=found.format)
    return found
