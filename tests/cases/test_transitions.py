"""The transition table against domain.md sections 3 and 4, written out by hand.

``SPEC`` below is copied from the spec, not from ``transitions.TRANSITIONS``: a wrong entry in the table
(a wrong target, a missing or extra actor, a type that should not take the edge, an edge that should not
exist) makes one of these tests fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest

from aftersales.cases import pdd
from aftersales.cases import transitions as t
from aftersales.cases.models import NO_DEADLINE, AfterSale
from aftersales.core.actors import ROLES, Actor
from aftersales.core.errors import ActionNotAllowed

RO, RR, EX, RS = "refund_only", "return_refund", "exchange", "reship"
ALL = (RO, RR, EX, RS)
BUYER, MERCHANT, PLATFORM, SYSTEM, PAYMENT = "buyer", "merchant", "platform", "system", "payment"


class SpecEdge(NamedTuple):
    state: str
    action: str
    to: dict[str, str]
    actors: frozenset[str]
    close_reason: str = ""


def _all(target: str, types: tuple[str, ...] = ALL) -> dict[str, str]:
    return {case_type: target for case_type in types}


def _e(state: str, action: str, to: dict[str, str], *actors: str, close_reason: str = "") -> SpecEdge:
    return SpecEdge(state, action, to, frozenset(actors), close_reason)


# domain.md section 4. Timers are the action ``expire`` by ``system``; the refund settling is ``settle`` by
# ``payment``; ``receive_return`` and ``decide`` carry their variant after a colon.
SPEC: list[SpecEdge] = [
    # Ways in: apply (all types), 极速退款 on an order not yet shipped, the merchant's reship proposal.
    _e("", "apply", _all("pending_merchant"), BUYER),
    _e("", "apply_instant_refund", {RO: "refunding"}, BUYER),
    _e("", "propose_reship", {RS: "awaiting_buyer_confirmation"}, MERCHANT),
    # reship: the buyer answers the merchant's proposal.
    _e("awaiting_buyer_confirmation", "confirm", {RS: "pending_merchant"}, BUYER),
    _e("awaiting_buyer_confirmation", "decline", {RS: "closed"}, BUYER, close_reason="buyer_declined"),
    _e("awaiting_buyer_confirmation", "cancel", {RS: "closed"}, BUYER, close_reason="buyer_cancelled"),
    _e("awaiting_buyer_confirmation", "expire", {RS: "closed"}, SYSTEM, close_reason="buyer_overdue"),
    _e("awaiting_buyer_confirmation", "escalate", {RS: "platform_review"}, PLATFORM),
    # The merchant's decision; its timer by type (section 6).
    _e(
        "pending_merchant",
        "agree",
        {RO: "refunding", RR: "awaiting_return", EX: "awaiting_return", RS: "awaiting_shipment"},
        MERCHANT,
    ),
    _e("pending_merchant", "reject", _all("rejected"), MERCHANT),
    _e("pending_merchant", "cancel", _all("closed"), BUYER, close_reason="buyer_cancelled"),
    _e("pending_merchant", "escalate", _all("platform_review"), PLATFORM),
    _e(
        "pending_merchant",
        "expire",
        {RO: "refunding", RR: "awaiting_return", EX: "platform_review", RS: "platform_review"},
        SYSTEM,
    ),
    # Rejected.
    _e("rejected", "reapply", _all("pending_merchant"), BUYER),
    _e("rejected", "escalate", _all("platform_review"), BUYER, PLATFORM),
    _e("rejected", "cancel", _all("closed"), BUYER, close_reason="buyer_cancelled"),
    _e("rejected", "expire", _all("closed"), SYSTEM, close_reason="buyer_overdue"),
    # The goods go back (return_refund, exchange; refund_only after the platform ordered a return).
    _e("awaiting_return", "ship_return", _all("return_in_transit", (RO, RR, EX)), BUYER),
    _e("awaiting_return", "cancel", _all("closed", (RO, RR, EX)), BUYER, close_reason="buyer_cancelled"),
    _e("awaiting_return", "escalate", _all("platform_review", (RO, RR, EX)), PLATFORM),
    _e("awaiting_return", "expire", _all("closed", (RO, RR, EX)), SYSTEM, close_reason="buyer_overdue"),
    _e(
        "return_in_transit",
        "receive_return:accept",
        {RO: "refunding", RR: "refunding", EX: "awaiting_shipment"},
        MERCHANT,
    ),
    _e("return_in_transit", "receive_return:refuse", _all("rejected", (RO, RR, EX)), MERCHANT),
    _e("return_in_transit", "escalate", _all("platform_review", (RO, RR, EX)), PLATFORM),
    _e(
        "return_in_transit",
        "expire",
        {RO: "refunding", RR: "refunding", EX: "awaiting_shipment"},
        SYSTEM,
    ),
    # Goods go out again (exchange, reship).
    _e("awaiting_shipment", "ship", _all("replacement_in_transit", (EX, RS)), MERCHANT),
    _e("awaiting_shipment", "refund_instead", _all("refunding", (EX, RS)), MERCHANT),
    _e("awaiting_shipment", "escalate", _all("platform_review", (EX, RS)), PLATFORM),
    _e("awaiting_shipment", "expire", _all("platform_review", (EX, RS)), SYSTEM),
    _e("replacement_in_transit", "confirm_received", _all("completed", (EX, RS)), BUYER),
    _e("replacement_in_transit", "escalate", _all("platform_review", (EX, RS)), PLATFORM),
    _e("replacement_in_transit", "expire", _all("completed", (EX, RS)), SYSTEM),
    # 平台介入: the platform decides.
    _e("platform_review", "decide:refund", _all("refunding"), PLATFORM),
    _e("platform_review", "decide:reject", _all("closed"), PLATFORM, close_reason="platform_rejected"),
    _e("platform_review", "decide:return", _all("awaiting_return", (RO, RR, EX)), PLATFORM),
    _e("platform_review", "decide:reship", _all("awaiting_shipment", (EX, RS)), PLATFORM),
    # Money moves.
    _e("refunding", "settle", _all("refunded"), PAYMENT),
]

# The case types that can ever be in each state (section 4's paths), so "a type outside the edge" is a
# type that could meet the edge and must be refused.
TYPES_IN_STATE: dict[str, tuple[str, ...]] = {
    "": ALL,
    "awaiting_buyer_confirmation": (RS,),
    "pending_merchant": ALL,
    "rejected": ALL,
    "awaiting_return": (RO, RR, EX),
    "return_in_transit": (RO, RR, EX),
    "awaiting_shipment": (EX, RS),
    "replacement_in_transit": (EX, RS),
    "platform_review": ALL,
    "refunding": ALL,
    "refunded": ALL,
    "completed": ALL,
    "closed": ALL,
}

ALL_STATES = [
    "awaiting_buyer_confirmation", "pending_merchant", "rejected", "awaiting_return", "return_in_transit",
    "awaiting_shipment", "replacement_in_transit", "platform_review", "refunding", "refunded", "completed",
    "closed",
]  # fmt: skip
FINAL = ("refunded", "completed", "closed")
EVERY_ACTION = sorted({edge.action for edge in SPEC} | {"ship_return", "settle", "expire"})

EDGE_TYPE_CASES = [
    pytest.param(edge, case_type, id=f"{edge.state or 'new'}-{edge.action}-{case_type}")
    for edge in SPEC
    for case_type in edge.to
]
EDGE_CASES = [pytest.param(edge, id=f"{edge.state or 'new'}-{edge.action}") for edge in SPEC]
OUTSIDE_TYPE_CASES = [
    pytest.param(edge, case_type, id=f"{edge.state or 'new'}-{edge.action}-{case_type}")
    for edge in SPEC
    for case_type in TYPES_IN_STATE[edge.state]
    if case_type not in edge.to
]
WRONG_ROLE_CASES = [
    pytest.param(edge, case_type, role, id=f"{edge.state or 'new'}-{edge.action}-{case_type}-{role}")
    for edge in SPEC
    for case_type in edge.to
    for role in ROLES
    if role not in edge.actors
]


def _case(state: str, case_type: str) -> AfterSale:
    at = datetime(2026, 11, 18, 2, tzinfo=UTC)
    return AfterSale(
        id=1, shop_id=1, order_id=1, buyer_id=1, order_sn="SN1", type=case_type, state=state,
        reason_code="quality_issue", merchant_fault=True, return_freight_payer="merchant",
        initiated_by="buyer", version=4, event_seq=4, created_at=at, updated_at=at,
    )  # fmt: skip


def _actor(role: str) -> Actor:
    return Actor(role=role, id=f"{role}-1")


# ---- the table itself ----------------------------------------------------------------------------------


def test_table_has_exactly_the_spec_edges():
    # given the spec's edges, written out by hand
    expected = {(edge.state, edge.action) for edge in SPEC}
    # when compared with the table
    actual = set(t.TRANSITIONS)
    # then nothing is missing and nothing is extra
    assert actual - expected == set(), "edges in the table that the spec does not have"
    assert expected - actual == set(), "edges of the spec missing from the table"


@pytest.mark.parametrize(("edge", "case_type"), EDGE_TYPE_CASES)
def test_edge_goes_to_the_spec_target_for_each_type(edge, case_type):
    # given an edge of the spec and a type that takes it
    actor = sorted(edge.actors)[0]
    # when the table is asked for it
    found = t.edge_for(edge.state, edge.action, case_type, actor)
    # then it goes where the spec says, with the spec's close reason
    assert found.target(case_type) == edge.to[case_type]
    assert t.next_state(edge.state, edge.action, case_type) == edge.to[case_type]
    assert (found.close_reason or "") == edge.close_reason


@pytest.mark.parametrize("edge", EDGE_CASES)
def test_edge_is_taken_by_exactly_the_spec_actors(edge):
    # given an edge of the spec
    # when the table is asked who may take it
    found = t.TRANSITIONS[(edge.state, edge.action)]
    # then it is exactly the spec's actors
    assert set(found.actors) == set(edge.actors)


@pytest.mark.parametrize(("edge", "case_type"), EDGE_TYPE_CASES)
def test_edge_is_allowed_for_each_spec_actor(edge, case_type):
    # given an edge and each role the spec lets take it
    for role in edge.actors:
        # when that role takes it
        found = t.edge_for(edge.state, edge.action, case_type, role)
        # then it is allowed
        assert found.target(case_type) == edge.to[case_type]


@pytest.mark.parametrize(("edge", "case_type", "role"), WRONG_ROLE_CASES)
def test_edge_is_refused_for_other_roles(edge, case_type, role):
    # given an edge and a role the spec does not list for it
    # when that role tries it
    # then it is refused with action_not_allowed, naming the action and the state
    with pytest.raises(ActionNotAllowed) as refused:
        t.edge_for(edge.state, edge.action, case_type, role)
    assert refused.value.code == "action_not_allowed"
    assert refused.value.params["action"] == edge.action.split(":")[0]
    assert refused.value.params["state"] == edge.state


@pytest.mark.parametrize(("edge", "case_type"), OUTSIDE_TYPE_CASES)
def test_edge_is_refused_for_types_outside_it(edge, case_type):
    # given an edge and a type that can be in its state but does not take this edge
    for role in edge.actors:
        # when the right role tries it on that type
        # then it is refused
        with pytest.raises(ActionNotAllowed):
            t.edge_for(edge.state, edge.action, case_type, role)
        assert t.next_state(edge.state, edge.action, case_type) is None


@pytest.mark.parametrize("state", FINAL)
def test_final_state_refuses_every_action_by_every_role(state):
    # given a final state
    for action in EVERY_ACTION:
        for case_type in ALL:
            for role in ROLES:
                # when anyone tries anything
                # then it is refused
                with pytest.raises(ActionNotAllowed):
                    t.edge_for(state, action, case_type, role)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("return_in_transit", "cancel"),
        ("awaiting_shipment", "cancel"),
        ("replacement_in_transit", "cancel"),
        ("platform_review", "cancel"),
        ("refunding", "cancel"),
        ("refunding", "escalate"),
        ("platform_review", "escalate"),
        ("pending_merchant", "reapply"),
        ("awaiting_return", "agree"),
        ("rejected", "agree"),
        ("pending_merchant", "settle"),
        ("pending_merchant", "no_such_action"),
    ],
)
def test_edge_not_in_the_spec_is_refused(state, action):
    # given a (state, action) the spec has no row for
    for case_type in TYPES_IN_STATE[state]:
        for role in ROLES:
            # when anyone tries it
            # then it is refused
            with pytest.raises(ActionNotAllowed):
                t.edge_for(state, action, case_type, role)


def test_refusal_lists_the_actions_the_role_may_take_now():
    # given a rejected refund-only case
    # when the buyer tries to agree
    with pytest.raises(ActionNotAllowed) as refused:
        t.edge_for("rejected", "agree", RO, BUYER)
    # then the refusal tells the buyer what it can do instead
    assert sorted(refused.value.params["allowed_actions"]) == ["cancel", "escalate", "reapply"]


def test_states_waiting_on_follow_the_spec():
    # given section 3's "waiting on" column
    expected = {
        "awaiting_buyer_confirmation": BUYER,
        "pending_merchant": MERCHANT,
        "rejected": BUYER,
        "awaiting_return": BUYER,
        "return_in_transit": MERCHANT,
        "awaiting_shipment": MERCHANT,
        "replacement_in_transit": BUYER,
        "platform_review": PLATFORM,
        "refunding": PAYMENT,
        "refunded": "",
        "completed": "",
        "closed": "",
    }
    # then the table agrees, state by state
    assert dict(t.WAITING_ON) == expected
    assert set(t.STATES) == set(ALL_STATES)
    assert set(t.FINAL_STATES) == set(FINAL)
    assert set(t.CLOSE_REASONS) == {
        "buyer_cancelled", "buyer_declined", "buyer_overdue", "platform_rejected", "fulfilment_failed"
    }  # fmt: skip


# ---- AfterSale.apply: the one place that assigns state ------------------------------------------------


@pytest.mark.parametrize(("edge", "case_type"), [c for c in EDGE_TYPE_CASES if c.values[0].state])
def test_case_apply_moves_the_case_and_returns_one_event(edge, case_type):
    # given a case in the edge's state
    case = _case(edge.state, case_type)
    at = datetime(2026, 11, 18, 2, tzinfo=UTC)
    actor = _actor(sorted(edge.actors)[0])
    # when the edge is applied
    event = case.apply(
        edge.action, actor=actor, at=at, data={"k": "v"}, deadline=lambda s: at + timedelta(hours=1)
    )
    # then the case is where the spec says, with its close reason and who it now waits on
    target = edge.to[case_type]
    assert case.state == target
    assert case.close_reason == edge.close_reason
    assert case.version == 5
    assert case.event_seq == 5
    assert case.updated_at == at
    if target in FINAL:
        assert case.deadline_at is None
        assert case.due_sort == NO_DEADLINE
    else:
        assert case.deadline_at == at + timedelta(hours=1)
        assert case.due_sort == case.deadline_at
    # and one event records it
    assert (event.from_state, event.to_state, event.action) == (edge.state, target, edge.action)
    assert (event.actor_role, event.actor_id, event.seq, event.at) == (actor.role, actor.id, 5, at)
    assert event.data == {"k": "v"}


@pytest.mark.parametrize(("edge", "case_type", "role"), [c for c in WRONG_ROLE_CASES if c.values[0].state])
def test_case_apply_by_a_wrong_role_changes_nothing(edge, case_type, role):
    # given a case in the edge's state
    case = _case(edge.state, case_type)
    before = (case.state, case.close_reason, case.version, case.event_seq, case.deadline_at)
    at = datetime(2026, 11, 18, 2, tzinfo=UTC)
    # when a role the spec does not list tries the edge
    with pytest.raises(ActionNotAllowed):
        case.apply(edge.action, actor=_actor(role), at=at, deadline=lambda s: at)
    # then the case is unchanged
    assert (case.state, case.close_reason, case.version, case.event_seq, case.deadline_at) == before


# ---- allowed(): what each role may do now --------------------------------------------------------------

# Section 4, read by state and role: the public actions a person may take (timers and settlement excluded).
ALLOWED: dict[str, dict[str, list[str]]] = {
    "awaiting_buyer_confirmation": {BUYER: ["confirm", "decline", "cancel"], PLATFORM: ["escalate"]},
    "pending_merchant": {BUYER: ["cancel"], MERCHANT: ["agree", "reject"], PLATFORM: ["escalate"]},
    "rejected": {BUYER: ["reapply", "escalate", "cancel"], PLATFORM: ["escalate"]},
    "awaiting_return": {BUYER: ["ship_return", "cancel"], PLATFORM: ["escalate"]},
    "return_in_transit": {MERCHANT: ["receive_return"], PLATFORM: ["escalate"]},
    "awaiting_shipment": {MERCHANT: ["ship", "refund_instead"], PLATFORM: ["escalate"]},
    "replacement_in_transit": {BUYER: ["confirm_received"], PLATFORM: ["escalate"]},
    "platform_review": {PLATFORM: ["decide"]},
    "refunding": {},
    "refunded": {},
    "completed": {},
    "closed": {},
}

ALLOWED_CASES = [
    pytest.param(state, case_type, role, id=f"{state}-{case_type}-{role}")
    for state in ALL_STATES
    for case_type in TYPES_IN_STATE[state]
    for role in ROLES
]


@pytest.mark.parametrize(("state", "case_type", "role"), ALLOWED_CASES)
def test_allowed_lists_the_spec_actions_for_each_state_and_role(state, case_type, role):
    # given a state, a type that can be in it, and a role
    # when the role asks what it may do
    names = t.allowed(state, case_type, role)
    # then it gets the spec's public actions, once each, and never a timer or settlement
    assert sorted(names) == sorted(ALLOWED[state].get(role, []))
    assert len(names) == len(set(names))
    assert not {"expire", "settle"} & set(names)


def test_allowed_names_variants_by_their_public_action():
    # given cases where the action has variants
    # then the variants show as one public name
    assert t.allowed("return_in_transit", EX, MERCHANT) == ["receive_return"]
    assert t.allowed("platform_review", RS, PLATFORM) == ["decide"]


# ---- pdd_status: section 3's PDD after_sales_status column ----------------------------------------------

PDD_STATUS = [
    ("awaiting_buyer_confirmation", RS, "", "", 15),
    ("pending_merchant", RO, "", "", 2),
    ("pending_merchant", RR, "", "", 3),
    ("pending_merchant", EX, "", "", 14),
    ("pending_merchant", RS, "", "", 14),
    *[("rejected", ct, "", "", 6) for ct in ALL],
    *[("awaiting_return", ct, "", "", 7) for ct in (RO, RR, EX)],
    *[("return_in_transit", ct, "", "", 7) for ct in (RO, RR, EX)],
    ("awaiting_shipment", RS, "", "", 32),
    ("awaiting_shipment", EX, "", "", 14),
    *[("replacement_in_transit", ct, "", "", 18) for ct in (EX, RS)],
    *[("platform_review", ct, "", "", 8) for ct in ALL],
    *[("refunding", ct, "", MERCHANT, 4) for ct in ALL],
    *[("refunding", ct, "", SYSTEM, 4) for ct in ALL],
    *[("refunding", ct, "", PLATFORM, 5) for ct in ALL],
    *[("refunded", ct, "", "", 10) for ct in ALL],
    *[("completed", ct, "", "", 16) for ct in (EX, RS)],
    *[("closed", ct, "platform_rejected", "", 9) for ct in ALL],
    *[("closed", ct, "buyer_cancelled", "", 11) for ct in ALL],
    *[("closed", ct, "buyer_overdue", "", 12) for ct in ALL],
    *[("closed", ct, "fulfilment_failed", "", 17) for ct in ALL],
]


@pytest.mark.parametrize(
    ("state", "case_type", "close_reason", "decided_by", "code"),
    [pytest.param(*row, id="-".join(str(v) for v in row if v != "")) for row in PDD_STATUS],
)
def test_pdd_status_matches_the_spec(state, case_type, close_reason, decided_by, code):
    # given a case's state, type, close reason and who agreed its refund
    # when mapped to Pinduoduo's after_sales_status
    status = pdd.pdd_status(
        state=state, case_type=case_type, close_reason=close_reason, refund_decided_by=decided_by
    )
    # then it is section 3's code
    assert status == code


def test_pdd_status_of_a_buyer_declined_proposal_is_the_buyer_cancelled_code():
    # given a merchant's reship proposal the buyer declined (section 3 names no code for buyer_declined;
    # PDD has one code for a buyer ending the request, 11)
    # when mapped
    status = pdd.pdd_status(state="closed", case_type=RS, close_reason="buyer_declined", refund_decided_by="")
    # then it is 11
    assert status == 11


def test_pdd_type_codes_match_the_spec_numberings():
    # given section 2's two PDD numberings, which differ by one
    # then both maps follow it
    assert pdd.LIST_TYPE_CODE == {RO: 2, RR: 3, EX: 4, RS: 5}
    assert pdd.DETAIL_TYPE_CODE == {RO: 1, RR: 2, EX: 3, RS: 4}
