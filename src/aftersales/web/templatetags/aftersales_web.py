"""Template filters and tags of the pages: money in 元, times in the shop's zone, labels, countdowns."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.cases.reasons import REASONS
from aftersales.core import clock
from aftersales.core.errors import ENTRY_CLOSED_REASONS
from aftersales.core.money import fen_to_yuan
from aftersales.logistics.carriers import CARRIERS
from aftersales.orders.queries import mask_address, mask_phone
from aftersales.web import labels

register = template.Library()


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


@register.filter
def yuan(fen: Any) -> str:
    """``2790`` → ``27.90 元`` (``27.90 yuan`` in English)."""
    if fen is None or fen == "":
        return ""
    return _("%(amount)s yuan") % {"amount": fen_to_yuan(int(fen))}


@register.filter
def when(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware datetime or an ISO 8601 string, in the active (shop) time zone."""
    at = _as_datetime(value)
    if at is None:
        return ""
    return timezone.localtime(at).strftime(fmt)


@register.filter
def iso(value: Any) -> str:
    at = _as_datetime(value)
    return at.isoformat() if at is not None else ""


@register.filter
def state_label(state: str, case_type: str = "") -> str:
    return labels.state_label(state, case_type)


@register.filter
def badge(state: str) -> str:
    return labels.badge_class(state)


@register.filter
def type_label(case_type: str) -> str:
    return str(labels.TYPES.get(case_type, case_type))


@register.filter
def reason_label(code: str) -> str:
    reason = REASONS.get(code)
    return str(reason.label) if reason is not None else code


@register.filter
def role_label(role: str) -> str:
    return str(labels.ROLES.get(role, role))


@register.filter
def event_label(action: str) -> str:
    return str(labels.EVENTS.get(action, action))


@register.filter
def card_title(card_type: str) -> str:
    return str(labels.CARDS.get(card_type, card_type))


@register.filter
def close_reason_label(code: str) -> str:
    return str(labels.CLOSE_REASONS.get(code, code))


@register.filter
def refund_status_label(status: str) -> str:
    return str(labels.REFUND_STATUS.get(status, status))


@register.filter
def decision_label(decision: str) -> str:
    return str(labels.DECISIONS.get(decision, decision))


@register.filter
def entry_closed_label(reason: str) -> str:
    return str(ENTRY_CLOSED_REASONS.get(reason, reason))


@register.filter
def carrier_name(code: str) -> str:
    carrier = CARRIERS.get(code)
    return str(carrier.shown()) if carrier is not None else code


@register.filter
def masked_phone(phone: str) -> str:
    return mask_phone(phone or "")


@register.filter
def masked_address(address: str) -> str:
    return mask_address(address or "")


def address_text(address: Any, *, masked: bool) -> str:
    if not isinstance(address, dict):
        return ""
    phone = str(address.get("phone", ""))
    place = str(address.get("address", ""))
    if masked:
        phone, place = mask_phone(phone), mask_address(place)
    return " ".join(p for p in (str(address.get("name", "")), phone, place) if p)


@register.filter
def address(value: Any) -> str:
    """A shop's address in full (a return address is the merchant's own)."""
    return address_text(value, masked=False)


@register.filter
def buyer_address(value: Any) -> str:
    """A buyer's address, masked."""
    return address_text(value, masked=True)


@register.filter
def items_text(items: Any) -> str:
    if not isinstance(items, list):
        return ""
    return ", ".join(f"{i.get('sku', '')} × {i.get('qty', '')}" for i in items if isinstance(i, dict))


def _detail_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key.endswith("_fen") and isinstance(value, int):
        return yuan(value)
    if key == "reason_code":
        return reason_label(str(value))
    if key == "decision":
        return decision_label(str(value))
    if key == "items":
        return items_text(value)
    if key == "return_address":
        return address_text(value, masked=False)
    if key == "address":
        return address_text(value, masked=True)
    if key == "carrier":
        return carrier_name(str(value))
    if key == "status":
        return str(labels.CARRIER_STATUS.get(str(value), value))
    if key == "deadline_at":
        return when(value)
    if key == "evidence" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


@register.filter
def event_details(data: Any) -> list[tuple[str, str]]:
    """The readable lines of an event's data, in a fixed order; empty values are left out."""
    if not isinstance(data, dict):
        return []
    rows = []
    for key, label in labels.DETAIL_KEYS.items():
        value = data.get(key)
        if (
            value is None
            or value == ""
            or value == []
            or (key in ("refund_fen", "freight_fen") and value == 0)
        ):
            continue
        rows.append((str(label), _detail_value(key, value)))
    return rows


@register.inclusion_tag("web/parts/countdown.html")
def countdown(deadline: Any) -> dict[str, Any]:
    """剩余处理时间: the time left until ``deadline``, marked overdue once it has passed; a script keeps it live."""
    at = _as_datetime(deadline)
    now = clock.now()
    if at is None:
        return {"deadline": None}
    left = int((at - now).total_seconds())
    return {
        "deadline": timezone.localtime(at).isoformat(),
        "now": timezone.localtime(now).isoformat(),
        "overdue": left <= 0,
        "text": _span(abs(left)),
    }


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock_text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    # Translators: the unit after a number of days in a countdown, as in "2d 03:15:20".
    unit = _("d")
    return f"{days}{unit} {clock_text}" if days else clock_text


@register.simple_tag
def action_label(action: str, case_type: str = "", role: str = "") -> str:
    return labels.action_label(action, case_type, role)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


@register.filter
def day_end(value: Any, fmt: str = "%Y-%m-%d") -> str:
    """A deadline that falls at midnight, written the way shops state it: the day before, at 24:00."""
    at = _as_datetime(value)
    if at is None:
        return ""
    local = timezone.localtime(at)
    if local.hour == 0 and local.minute == 0:
        return (local - timedelta(days=1)).strftime(fmt) + " 24:00"
    return local.strftime(fmt + " %H:%M")


@register.filter
def web_link(url: Any) -> str:
    """The link itself when it is an http(s) address; anything else is not made clickable."""
    text = str(url or "")
    return text if text.startswith(("https://", "http://")) else ""
