"""The words the pages use for the domain's codes: states, types, actions, roles, cards, event details.

Codes stay codes everywhere else; these labels are what a merchant, a buyer or platform staff read."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.cases import transitions as t

STATES: dict[str, Promise] = {
    t.AWAITING_BUYER_CONFIRMATION: _("Awaiting buyer confirmation"),
    t.PENDING_MERCHANT: _("Awaiting merchant"),
    t.REJECTED: _("Rejected, awaiting buyer"),
    t.AWAITING_RETURN: _("Awaiting buyer's return"),
    t.RETURN_IN_TRANSIT: _("Return in transit, awaiting merchant"),
    t.AWAITING_SHIPMENT: _("Awaiting merchant's shipment"),
    t.REPLACEMENT_IN_TRANSIT: _("Shipped, awaiting buyer"),
    t.PLATFORM_REVIEW: _("Platform reviewing"),
    t.REFUNDING: _("Refunding"),
    t.REFUNDED: _("Refund succeeded"),
    t.COMPLETED: _("Completed"),
    t.CLOSED: _("Closed"),
}
COMPLETED_BY_TYPE: dict[str, Promise] = {
    t.EXCHANGE: _("Exchange completed"),
    t.RESHIP: _("Reship completed"),
}

CLOSE_REASONS: dict[str, Promise] = {
    "buyer_cancelled": _("cancelled by the buyer"),
    "buyer_declined": _("declined by the buyer"),
    "buyer_overdue": _("the buyer did not act in time"),
    "platform_rejected": _("rejected by the platform"),
    "fulfilment_failed": _("could not be fulfilled"),
}

TYPES: dict[str, Promise] = {
    t.REFUND_ONLY: _("Refund only"),
    t.RETURN_REFUND: _("Return and refund"),
    t.EXCHANGE: _("Exchange"),
    t.RESHIP: _("Reship"),
}

ROLES: dict[str, Promise] = {
    "buyer": _("Buyer"),
    "merchant": _("Merchant"),
    "platform": _("Platform"),
    "system": _("System"),
    "payment": _("Payment"),
    "insurer": _("Return-freight insurance"),
}

EVENTS: dict[str, Promise] = {
    "apply": _("Buyer applied"),
    "apply_instant_refund": _("Buyer applied (instant refund)"),
    "propose_reship": _("Merchant applied for a reship for the buyer"),
    "confirm": _("Buyer confirmed the reship"),
    "decline": _("Buyer declined the reship"),
    "cancel": _("Buyer cancelled the application"),
    "agree": _("Merchant agreed"),
    "reject": _("Merchant rejected"),
    "reapply": _("Buyer changed the application"),
    "escalate": _("Escalated to the platform"),
    "expire": _("Deadline passed; the system acted"),
    "ship_return": _("Buyer shipped the return"),
    "receive_return:accept": _("Merchant received the return"),
    "receive_return:refuse": _("Merchant refused the return"),
    "ship": _("Merchant shipped"),
    "refund_instead": _("Merchant refunded instead"),
    "confirm_received": _("Buyer confirmed receipt"),
    "decide:refund": _("Platform decided: refund"),
    "decide:reject": _("Platform decided: reject"),
    "decide:return": _("Platform decided: return first"),
    "decide:reship": _("Platform decided: reship"),
    "settle": _("Refund arrived"),
    "refund_failed": _("Refund failed; it will be retried"),
    "deadline_breached": _("Deadline breached"),
    "carrier_event": _("Carrier update"),
    "evaluate": _("Buyer rated the service"),
}

# The button that opens each action's form, by the role that sees it.
ACTIONS: dict[str, Promise] = {
    "reject": _("Reject"),
    "receive_return": _("Confirm receipt of the return"),
    "ship": _("Ship"),
    "refund_instead": _("Refund instead"),
    "confirm": _("Confirm reship"),
    "decline": _("Decline reship"),
    "cancel": _("Cancel application"),
    "reapply": _("Change and reapply"),
    "ship_return": _("Ship the return"),
    "escalate": _("Ask the platform to step in"),
    "confirm_received": _("Confirm receipt"),
    "decide": _("Decide"),
    "evaluate": _("Rate the service"),
}
AGREE_BY_TYPE: dict[str, Promise] = {
    t.REFUND_ONLY: _("Agree to refund"),
    t.RETURN_REFUND: _("Agree to return"),
    t.EXCHANGE: _("Agree to exchange"),
    t.RESHIP: _("Agree to reship"),
}
PLATFORM_ESCALATE = _("Step in (platform review)")

DECISIONS: dict[str, Promise] = {
    "refund": _("Refund the buyer"),
    "reject": _("Reject the claim"),
    "return": _("Return the goods first"),
    "reship": _("Reship the goods"),
}

CARDS: dict[str, Promise] = {
    "reship_request": _("The merchant applied for a reship for you"),
    "reship_request_confirmed": _("The buyer confirmed the reship"),
    "reship_in_progress": _("Your reship is on its way"),
    "return_address": _("Return agreed: send the goods to this address"),
    "tracking_number": _("Shipped: tracking number"),
    "rejected": _("The application was rejected"),
    "refund_issued": _("Refund started"),
    "refund_succeeded": _("Refund arrived"),
    "platform_decision": _("The platform decided"),
    "satisfaction_survey": _("How was our after-sales service?"),
}

REFUND_STATUS: dict[str, Promise] = {
    "pending": _("Being paid"),
    "succeeded": _("Refund paid"),
    "failed": _("Failed, will retry"),
}

CARRIER_STATUS: dict[str, Promise] = {
    "picked_up": _("picked up"),
    "in_transit": _("in transit"),
    "delivered": _("delivered"),
}

# Keys of an event's data, in the order a reader wants them; keys not listed are not shown.
DETAIL_KEYS: dict[str, Promise] = {
    "reason_code": _("Reason"),
    "reason": _("Stated reason"),
    "note": _("Note"),
    "decision": _("Decision"),
    "items": _("Items"),
    "refund_fen": _("Refund amount"),
    "amount_fen": _("Amount"),
    "description": _("Description"),
    "evidence": _("Photos"),
    "return_address": _("Return address"),
    "address": _("Ship to"),
    "carrier": _("Carrier"),
    "tracking_no": _("Tracking number"),
    "freight_fen": _("Return freight"),
    "accept": _("Accepted"),
    "resellable": _("Resellable"),
    "status": _("Status"),
    "deadline_at": _("Deadline"),
    "late_shipment": _("Late shipment"),
    "merchant_liable": _("Merchant liable"),
    "score": _("Score"),
    "comment": _("Comment"),
}

WAITING_TABS: dict[str, Promise] = {
    "merchant": _("Waiting on me"),
    "buyer": _("Waiting on buyer"),
    "platform": _("With the platform"),
    "payment": _("Refunding"),
    "done": _("Finished"),
    "all": _("All"),
}


def state_label(state: str, case_type: str = "") -> str:
    if state == t.COMPLETED and case_type in COMPLETED_BY_TYPE:
        return str(COMPLETED_BY_TYPE[case_type])
    return str(STATES.get(state, state))


def action_label(action: str, case_type: str = "", role: str = "") -> str:
    if action == "agree":
        return str(AGREE_BY_TYPE.get(case_type, _("Agree")))
    if action == "escalate" and role == "platform":
        return str(PLATFORM_ESCALATE)
    return str(ACTIONS.get(action, action))


def badge_class(state: str) -> str:
    """The colour of a state's badge: who it waits on, or how it ended."""
    if state in (t.REFUNDED, t.COMPLETED):
        return "w-done"
    if state == t.CLOSED:
        return "w-closed"
    return f"w-{t.WAITING_ON.get(state, 'closed')}"
