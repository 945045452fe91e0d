"""Which chat cards a change of a case posts (domain.md section 7), as a pure function of the change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aftersales.cases import transitions as t

BUYER, MERCHANT, BOTH = "buyer", "merchant", "both"


@dataclass(frozen=True)
class Card:
    type: str
    to: str
    data: dict[str, Any] = field(default_factory=dict)


def cards_for(
    *,
    action: str,
    from_state: str,
    to_state: str,
    case_type: str,
    event_data: dict[str, Any],
    case: Mapping[str, Any],
) -> list[Card]:
    """The cards for one event. ``case`` carries the facts a card shows (id, deadline, amounts, address)."""
    cards: list[Card] = []
    link = {"case_id": case["id"], "href": f"/workbench/cases/{case['id']}/"}
    if action == "propose_reship":
        cards.append(Card("reship_request", BUYER, {
            "items": event_data.get("items", []), "reason_code": event_data.get("reason_code"),
            "address": event_data.get("address"), "deadline_at": case["deadline_at"],
            "buttons": [{"action": "confirm", "label": "确认补寄"}, {"action": "decline", "label": "拒绝"}],
        }))  # fmt: skip
    if action == "confirm" and to_state == t.PENDING_MERCHANT:
        cards.append(Card("reship_request_confirmed", MERCHANT, {**link, "label": "去处理"}))
    if (
        to_state == t.AWAITING_SHIPMENT
        and from_state in (t.PENDING_MERCHANT, t.PLATFORM_REVIEW)
        and case_type == t.RESHIP
    ):
        cards.append(Card("reship_in_progress", BUYER, {"items": case["items"]}))
    if to_state == t.AWAITING_RETURN and from_state != t.AWAITING_RETURN:
        cards.append(
            Card(
                "return_address",
                BUYER,
                {"address": case["return_address"], "deadline_at": case["deadline_at"]},
            )
        )
    if action == "ship":
        cards.append(Card("tracking_number", BUYER, {
            "carrier": event_data.get("carrier"), "carrier_name": event_data.get("carrier_name"),
            "tracking_no": event_data.get("tracking_no"),
        }))  # fmt: skip
    if to_state == t.REJECTED:
        cards.append(Card("rejected", BUYER, {
            "reason": event_data.get("reason") or event_data.get("note"), "deadline_at": case["deadline_at"],
            "options": ["reapply", "escalate"],
        }))  # fmt: skip
    if action.startswith("decide:"):
        cards.append(
            Card(
                "platform_decision",
                BOTH,
                {"decision": event_data.get("decision"), "note": event_data.get("note")},
            )
        )
    if to_state == t.REFUNDING and from_state != t.REFUNDING:
        cards.append(
            Card(
                "refund_issued",
                BUYER,
                {"amount_fen": case["refund_amount_fen"], "due_by": case["refund_due_by"]},
            )
        )
    if to_state == t.REFUNDED:
        cards.append(Card("refund_succeeded", BUYER, {"amount_fen": case["refund_amount_fen"]}))
    if to_state in (t.REFUNDED, t.COMPLETED):
        cards.append(Card("satisfaction_survey", BUYER, {"scores": [1, 2, 3, 4, 5]}))
    return cards
