"""The transition table of domain.md section 4: (state, action) → next state, and who may take it.

Nothing else decides where a case goes. Timers use the action ``expire`` with the ``system`` actor; the
payment side settles with ``settle``. ``""`` is the state before a case exists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from aftersales.core.actors import BUYER, MERCHANT, PAYMENT, PLATFORM, SYSTEM
from aftersales.core.errors import ActionNotAllowed

REFUND_ONLY, RETURN_REFUND, EXCHANGE, RESHIP = "refund_only", "return_refund", "exchange", "reship"
TYPES = (REFUND_ONLY, RETURN_REFUND, EXCHANGE, RESHIP)

NEW = ""
AWAITING_BUYER_CONFIRMATION = "awaiting_buyer_confirmation"
PENDING_MERCHANT = "pending_merchant"
REJECTED = "rejected"
AWAITING_RETURN = "awaiting_return"
RETURN_IN_TRANSIT = "return_in_transit"
AWAITING_SHIPMENT = "awaiting_shipment"
REPLACEMENT_IN_TRANSIT = "replacement_in_transit"
PLATFORM_REVIEW = "platform_review"
REFUNDING = "refunding"
REFUNDED = "refunded"
COMPLETED = "completed"
CLOSED = "closed"

STATES = (
    AWAITING_BUYER_CONFIRMATION, PENDING_MERCHANT, REJECTED, AWAITING_RETURN, RETURN_IN_TRANSIT,
    AWAITING_SHIPMENT, REPLACEMENT_IN_TRANSIT, PLATFORM_REVIEW, REFUNDING, REFUNDED, COMPLETED, CLOSED,
)  # fmt: skip
FINAL_STATES = frozenset({REFUNDED, COMPLETED, CLOSED})

WAITING_ON: Mapping[str, str] = {
    AWAITING_BUYER_CONFIRMATION: BUYER,
    PENDING_MERCHANT: MERCHANT,
    REJECTED: BUYER,
    AWAITING_RETURN: BUYER,
    RETURN_IN_TRANSIT: MERCHANT,
    AWAITING_SHIPMENT: MERCHANT,
    REPLACEMENT_IN_TRANSIT: BUYER,
    PLATFORM_REVIEW: PLATFORM,
    REFUNDING: PAYMENT,
    REFUNDED: "",
    COMPLETED: "",
    CLOSED: "",
}

CLOSE_REASONS = (
    "buyer_cancelled",
    "buyer_declined",
    "buyer_overdue",
    "platform_rejected",
    "fulfilment_failed",
)

ALL_TYPES = frozenset(TYPES)
MONEY_TYPES = frozenset({REFUND_ONLY, RETURN_REFUND})
GOODS_TYPES = frozenset({EXCHANGE, RESHIP})


@dataclass(frozen=True)
class Edge:
    to_by_type: Mapping[str, str]
    actors: frozenset[str]
    close_reason: str | None = None

    def target(self, case_type: str) -> str:
        return self.to_by_type[case_type]


def _to(state: str, types: frozenset[str] = ALL_TYPES) -> dict[str, str]:
    return {t: state for t in types}


def _edge(to: dict[str, str], *actors: str, close_reason: str | None = None) -> Edge:
    return Edge(to_by_type=to, actors=frozenset(actors), close_reason=close_reason)


_RETURN_ACCEPTED = {REFUND_ONLY: REFUNDING, RETURN_REFUND: REFUNDING, EXCHANGE: AWAITING_SHIPMENT}

TRANSITIONS: dict[tuple[str, str], Edge] = {
    # Ways in.
    (NEW, "apply"): _edge(_to(PENDING_MERCHANT), BUYER),
    (NEW, "apply_instant_refund"): _edge(_to(REFUNDING, frozenset({REFUND_ONLY})), BUYER),
    (NEW, "propose_reship"): _edge(_to(AWAITING_BUYER_CONFIRMATION, frozenset({RESHIP})), MERCHANT),
    # A merchant's proposal waits on the buyer.
    (AWAITING_BUYER_CONFIRMATION, "confirm"): _edge(_to(PENDING_MERCHANT, frozenset({RESHIP})), BUYER),
    (AWAITING_BUYER_CONFIRMATION, "decline"): _edge(_to(CLOSED), BUYER, close_reason="buyer_declined"),
    (AWAITING_BUYER_CONFIRMATION, "cancel"): _edge(_to(CLOSED), BUYER, close_reason="buyer_cancelled"),
    (AWAITING_BUYER_CONFIRMATION, "expire"): _edge(_to(CLOSED), SYSTEM, close_reason="buyer_overdue"),
    (AWAITING_BUYER_CONFIRMATION, "escalate"): _edge(_to(PLATFORM_REVIEW, frozenset({RESHIP})), PLATFORM),
    # The merchant's decision.
    (PENDING_MERCHANT, "agree"): _edge(
        {REFUND_ONLY: REFUNDING, RETURN_REFUND: AWAITING_RETURN, EXCHANGE: AWAITING_RETURN, RESHIP: AWAITING_SHIPMENT},
        MERCHANT,
    ),
    (PENDING_MERCHANT, "reject"): _edge(_to(REJECTED), MERCHANT),
    (PENDING_MERCHANT, "cancel"): _edge(_to(CLOSED), BUYER, close_reason="buyer_cancelled"),
    (PENDING_MERCHANT, "escalate"): _edge(_to(PLATFORM_REVIEW), PLATFORM),
    (PENDING_MERCHANT, "expire"): _edge(
        {REFUND_ONLY: REFUNDING, RETURN_REFUND: AWAITING_RETURN, EXCHANGE: PLATFORM_REVIEW, RESHIP: PLATFORM_REVIEW},
        SYSTEM,
    ),
    # Rejected: the buyer changes the application, escalates, cancels, or lets it lapse.
    (REJECTED, "reapply"): _edge(_to(PENDING_MERCHANT), BUYER),
    (REJECTED, "escalate"): _edge(_to(PLATFORM_REVIEW), BUYER, PLATFORM),
    (REJECTED, "cancel"): _edge(_to(CLOSED), BUYER, close_reason="buyer_cancelled"),
    (REJECTED, "expire"): _edge(_to(CLOSED), SYSTEM, close_reason="buyer_overdue"),
    # The goods go back.
    (AWAITING_RETURN, "ship_return"): _edge(_to(RETURN_IN_TRANSIT), BUYER),
    (AWAITING_RETURN, "cancel"): _edge(_to(CLOSED), BUYER, close_reason="buyer_cancelled"),
    (AWAITING_RETURN, "escalate"): _edge(_to(PLATFORM_REVIEW), PLATFORM),
    (AWAITING_RETURN, "expire"): _edge(_to(CLOSED), SYSTEM, close_reason="buyer_overdue"),
    (RETURN_IN_TRANSIT, "receive_return:accept"): _edge(_RETURN_ACCEPTED, MERCHANT),
    (RETURN_IN_TRANSIT, "receive_return:refuse"): _edge(_to(REJECTED), MERCHANT),
    (RETURN_IN_TRANSIT, "escalate"): _edge(_to(PLATFORM_REVIEW), PLATFORM),
    (RETURN_IN_TRANSIT, "expire"): _edge(_RETURN_ACCEPTED, SYSTEM),
    # Goods go out again.
    (AWAITING_SHIPMENT, "ship"): _edge(_to(REPLACEMENT_IN_TRANSIT, GOODS_TYPES), MERCHANT),
    (AWAITING_SHIPMENT, "refund_instead"): _edge(_to(REFUNDING, GOODS_TYPES), MERCHANT),
    (AWAITING_SHIPMENT, "escalate"): _edge(_to(PLATFORM_REVIEW, GOODS_TYPES), PLATFORM),
    (AWAITING_SHIPMENT, "expire"): _edge(_to(PLATFORM_REVIEW, GOODS_TYPES), SYSTEM),
    (REPLACEMENT_IN_TRANSIT, "confirm_received"): _edge(_to(COMPLETED, GOODS_TYPES), BUYER),
    (REPLACEMENT_IN_TRANSIT, "escalate"): _edge(_to(PLATFORM_REVIEW, GOODS_TYPES), PLATFORM),
    (REPLACEMENT_IN_TRANSIT, "expire"): _edge(_to(COMPLETED, GOODS_TYPES), SYSTEM),
    # The platform decides (平台介入).
    (PLATFORM_REVIEW, "decide:refund"): _edge(_to(REFUNDING), PLATFORM),
    (PLATFORM_REVIEW, "decide:reject"): _edge(_to(CLOSED), PLATFORM, close_reason="platform_rejected"),
    (PLATFORM_REVIEW, "decide:return"): _edge(_to(AWAITING_RETURN, frozenset({REFUND_ONLY, RETURN_REFUND, EXCHANGE})), PLATFORM),
    (PLATFORM_REVIEW, "decide:reship"): _edge(_to(AWAITING_SHIPMENT, GOODS_TYPES), PLATFORM),
    # Money moves.
    (REFUNDING, "settle"): _edge(_to(REFUNDED), PAYMENT),
}  # fmt: skip

# Actions that are variants of one public action: ``receive_return`` with accept true/false, ``decide`` with
# its decision. ``allowed_actions`` lists the public names.
PUBLIC_NAME = {key[1]: key[1].split(":")[0] for key in TRANSITIONS}
# Actions that only the clock or the payment side take; never offered to a person.
AUTOMATIC = frozenset({"expire", "settle"})


def allowed(state: str, case_type: str, role: str) -> list[str]:
    """Public action names the role may take now, in table order, without duplicates."""
    return list(_allowed(state, case_type, role))


@cache
def _allowed(state: str, case_type: str, role: str) -> tuple[str, ...]:
    names: list[str] = []
    for (from_state, action), edge in TRANSITIONS.items():
        if from_state != state or action in AUTOMATIC or role not in edge.actors:
            continue
        if case_type not in edge.to_by_type:
            continue
        name = PUBLIC_NAME[action]
        if name not in names:
            names.append(name)
    return tuple(names)


def edge_for(state: str, action: str, case_type: str, role: str) -> Edge:
    edge = TRANSITIONS.get((state, action))
    if edge is None or case_type not in edge.to_by_type or role not in edge.actors:
        raise ActionNotAllowed(
            action=PUBLIC_NAME.get(action, action),
            state=state,
            allowed_actions=allowed(state, case_type, role),
        )
    return edge


def next_state(state: str, action: str, case_type: str) -> str | None:
    edge = TRANSITIONS.get((state, action))
    if edge is None:
        return None
    return edge.to_by_type.get(case_type)
