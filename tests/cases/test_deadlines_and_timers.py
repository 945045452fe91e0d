"""Deadlines (domain.md section 6) and the timer rows that carry them: one pending timer per waiting case,
replaced on every change of state, fired exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aftersales.cases import services
from aftersales.cases.deadlines import deadline_for
from aftersales.cases.models import AfterSale
from aftersales.core.calendar import BusinessCalendar
from aftersales.core.errors import ActionNotAllowed
from aftersales.logistics.services import record_carrier_event
from aftersales.timers.models import FIRED, OBSOLETE, PENDING, Timer
from aftersales.timers.worker import run_due
from tests.factories import World, make_order, sh

AT = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # Wednesday 2026-11-18 10:00 Shanghai
CALENDAR = BusinessCalendar()

# ---- deadline_for: the defaults of section 6 -----------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "after"),
    [
        ("pending_merchant", timedelta(hours=48)),
        ("rejected", timedelta(hours=72)),
        ("awaiting_return", timedelta(days=7)),
        ("return_in_transit", timedelta(days=10)),
        ("awaiting_shipment", timedelta(hours=48)),
        ("replacement_in_transit", timedelta(days=10)),
        ("awaiting_buyer_confirmation", timedelta(hours=72)),
    ],
)
def test_deadline_for_waiting_state_is_its_default_period(state, after):
    # given a case entering a state that waits on a person
    # when its deadline is computed
    deadline = deadline_for(state, AT, CALENDAR)
    # then it is the spec's period after entering
    assert deadline == AT + after


@pytest.mark.parametrize("state", ["refunding", "platform_review"])
def test_deadline_for_refunding_and_platform_review_is_three_business_days(state):
    # given a case entering the state on Wednesday 2026-11-18
    # when its deadline is computed
    deadline = deadline_for(state, AT, CALENDAR)
    # then Thu 19, Fri 20 and Mon 23 count: 24:00 of 2026-11-23 Shanghai
    assert deadline == sh(2026, 11, 24, 0)


def test_deadline_for_refunding_across_national_day_counts_business_days():
    # given a refund started on 2026-09-30, the eve of National Day
    # when its deadline is computed
    deadline = deadline_for("refunding", sh(2026, 9, 30, 15), CALENDAR)
    # then Oct 8, Oct 9 and the make-up Saturday Oct 10 count: 24:00 of 2026-10-10
    assert deadline == sh(2026, 10, 11, 0)


@pytest.mark.parametrize("state", ["refunded", "completed", "closed"])
def test_deadline_for_final_state_is_none(state):
    # given a final state
    # when its deadline is computed
    # then there is none
    assert deadline_for(state, AT, CALENDAR) is None


# ---- one pending timer per waiting case ----------------------------------------------------------------


class Flow:
    """Drives one case through services and checks its timers after every change of state."""

    def __init__(self, world: World, frozen: Any) -> None:
        self.world = world
        self.frozen = frozen
        self.buyer, _ = world.buyer()
        self.order = make_order(world, self.buyer, signed_at=sh(2026, 11, 16, 10))
        self.case_id: int | None = None

    def apply(self, case_type: str, reason: str = "quality_issue") -> None:
        app = services.Application(
            order_sn=self.order.order_sn,
            type=case_type,
            reason_code=reason,
            items=[services.ItemRequest("PHONE-CASE", 1)],
        )
        self.case_id = services.apply(app, actor=self.buyer).pk

    def propose(self) -> None:
        proposal = services.Proposal(
            order_sn=self.order.order_sn, items=[("PHONE-CASE", 1)], reason_code="missing_item"
        )
        self.case_id = services.propose_reship(proposal, actor=self.world.merchant).pk

    def case(self) -> AfterSale:
        assert self.case_id is not None
        return AfterSale.objects.get(pk=self.case_id)


def _check_one_pending_timer(case: AfterSale, previous: Timer | None, rows_before: int) -> Timer | None:
    timers = Timer.objects.filter(case_id=case.pk)
    pending = list(timers.filter(status=PENDING))
    if previous is not None:
        previous.refresh_from_db()
        assert previous.status in (OBSOLETE, FIRED), "the previous state's timer must not stay pending"
    if case.is_final:
        assert pending == []
        assert timers.count() == rows_before
        return None
    assert len(pending) == 1, f"{case.state}: one pending timer, not {len(pending)}"
    timer = pending[0]
    assert timers.count() == rows_before + 1
    assert timer.state == case.state
    assert timer.case_version == case.version
    assert timer.due_at == case.deadline_at
    assert timer.next_attempt_at == case.deadline_at
    assert timer.attempts == 0
    return timer


Step = Callable[[Flow], None]


STEPS: dict[str, Step] = {
    "apply_refund_only": lambda f: f.apply("refund_only"),
    "apply_return_refund": lambda f: f.apply("return_refund"),
    "apply_exchange": lambda f: f.apply("exchange", "size_unsuitable"),
    "propose_reship": lambda f: f.propose(),
    "agree": lambda f: services.agree(f.case_id, actor=f.world.merchant),
    "reject": lambda f: services.reject(f.case_id, actor=f.world.merchant, reason="图片看不出问题"),
    "reapply": lambda f: services.reapply(f.case_id, actor=f.buyer, description="补充了照片"),
    "cancel": lambda f: services.cancel(f.case_id, actor=f.buyer),
    "escalate_buyer": lambda f: services.escalate(f.case_id, actor=f.buyer, reason="商家拒绝不合理"),
    "escalate_platform": lambda f: services.escalate(f.case_id, actor=f.world.platform),
    "decide_refund": lambda f: services.decide(f.case_id, actor=f.world.platform, decision="refund", note="支持买家"),
    "decide_return": lambda f: services.decide(f.case_id, actor=f.world.platform, decision="return", note="先退货"),
    "decide_reship": lambda f: services.decide(f.case_id, actor=f.world.platform, decision="reship", note="补寄"),
    "decide_reject": lambda f: services.decide(f.case_id, actor=f.world.platform, decision="reject", note="驳回"),
    "ship_return": lambda f: services.ship_return(f.case_id, actor=f.buyer, carrier="SF", tracking_no="SF1234567890123"),
    "accept_return": lambda f: services.receive_return(f.case_id, actor=f.world.merchant, accept=True),
    "refuse_return": lambda f: services.receive_return(f.case_id, actor=f.world.merchant, accept=False, note="空包"),
    "ship": lambda f: services.ship(f.case_id, actor=f.world.merchant, carrier="ZTO", tracking_no="773300000001"),
    "refund_instead": lambda f: services.refund_instead(f.case_id, actor=f.world.merchant, note="缺货"),
    "confirm": lambda f: services.confirm(f.case_id, actor=f.buyer),
    "decline": lambda f: services.decline(f.case_id, actor=f.buyer, reason="不需要"),
    "confirm_received": lambda f: services.confirm_received(f.case_id, actor=f.buyer),
    "settle": lambda f: run_due(),
}  # fmt: skip

FLOWS = {
    "return_refund_to_refunded": (
        ["apply_return_refund", "agree", "ship_return", "accept_return", "settle"],
        ["pending_merchant", "awaiting_return", "return_in_transit", "refunding", "refunded"],
    ),
    "refund_only_rejected_reapplied": (
        ["apply_refund_only", "reject", "reapply", "agree", "settle"],
        ["pending_merchant", "rejected", "pending_merchant", "refunding", "refunded"],
    ),
    "rejection_escalated_then_returned_then_cancelled": (
        ["apply_refund_only", "reject", "escalate_buyer", "decide_return", "cancel"],
        ["pending_merchant", "rejected", "platform_review", "awaiting_return", "closed"],
    ),
    "returned_parcel_refused_then_overruled": (
        ["apply_return_refund", "agree", "ship_return", "refuse_return", "escalate_buyer", "decide_refund"],
        ["pending_merchant", "awaiting_return", "return_in_transit", "rejected", "platform_review", "refunding"],
    ),
    "exchange_to_completed": (
        ["apply_exchange", "agree", "ship_return", "accept_return", "ship", "confirm_received"],
        ["pending_merchant", "awaiting_return", "return_in_transit", "awaiting_shipment",
         "replacement_in_transit", "completed"],
    ),
    "exchange_escalated_by_platform_then_reshipped": (
        ["apply_exchange", "escalate_platform", "decide_reship", "refund_instead"],
        ["pending_merchant", "platform_review", "awaiting_shipment", "refunding"],
    ),
    "reship_proposal_confirmed": (
        ["propose_reship", "confirm", "agree", "ship", "escalate_platform", "decide_reject"],
        ["awaiting_buyer_confirmation", "pending_merchant", "awaiting_shipment", "replacement_in_transit",
         "platform_review", "closed"],
    ),
    "reship_proposal_declined": (
        ["propose_reship", "decline"],
        ["awaiting_buyer_confirmation", "closed"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("flow_name", list(FLOWS))
def test_each_state_change_leaves_exactly_one_pending_timer_for_the_new_state(world, frozen, flow_name):
    # given a signed order and a path through the states
    steps, states = FLOWS[flow_name]
    flow = Flow(world, frozen)
    previous: Timer | None = None
    for step, expected_state in zip(steps, states, strict=True):
        rows_before = Timer.objects.filter(case_id=flow.case_id).count() if flow.case_id else 0
        # when the next action is taken, a minute after the last
        frozen.advance(minutes=1)
        STEPS[step](flow)
        # then the case is in the new state, with one pending timer carrying its deadline, and the previous
        # state's timer is no longer pending
        case = flow.case()
        assert case.state == expected_state, step
        previous = _check_one_pending_timer(case, previous, rows_before)


def test_timer_carries_the_deadline_of_the_state_entered(world, frozen):
    # given a return-refund application made now
    flow = Flow(world, frozen)
    flow.apply("return_refund")
    # when the merchant agrees an hour later
    entered = frozen.advance(hours=1)
    services.agree(flow.case_id, actor=world.merchant)
    # then the pending timer is due 7 days after the agreement, as the case's deadline
    timer = Timer.objects.get(case_id=flow.case_id, status=PENDING)
    assert timer.state == "awaiting_return"
    assert timer.due_at == entered + timedelta(days=7) == flow.case().deadline_at


def test_refunding_timer_is_due_in_three_business_days(world, frozen):
    # given a refund-only application, agreed on Wednesday 2026-11-18 10:00
    flow = Flow(world, frozen)
    flow.apply("refund_only")
    # when the merchant agrees
    services.agree(flow.case_id, actor=world.merchant)
    # then the refund's breach timer is due at 24:00 of Monday 2026-11-23
    timer = Timer.objects.get(case_id=flow.case_id, status=PENDING)
    assert timer.state == "refunding"
    assert timer.due_at == sh(2026, 11, 24, 0)


def test_timer_before_its_deadline_does_not_fire(world, frozen):
    # given a case waiting on the merchant, due in 48 hours
    flow = Flow(world, frozen)
    flow.apply("return_refund")
    # when the worker runs a second before the deadline
    frozen.advance(hours=48, seconds=-1)
    report = run_due()
    # then nothing fires and the case still waits
    assert report["fired"] == 0
    assert flow.case().state == "pending_merchant"
    assert Timer.objects.filter(case_id=flow.case_id, status=PENDING).count() == 1


def test_timer_fires_exactly_once_and_hands_over_to_the_next_state(world, frozen):
    # given a return-refund case waiting on the merchant, and a shop with a default return address
    flow = Flow(world, frozen)
    flow.apply("return_refund")
    first = Timer.objects.get(case_id=flow.case_id, status=PENDING)
    # when the deadline passes and the worker runs twice
    frozen.advance(hours=48)
    report = run_due()
    again = run_due()
    # then the case was auto-agreed once, to the shop's return address, and the timer is marked fired
    case = flow.case()
    assert report["fired"] == 1
    assert again["fired"] == 0
    assert case.state == "awaiting_return"
    assert case.return_address == world.shop.default_return_address
    first.refresh_from_db()
    assert first.status == FIRED
    assert case.events.filter(action="expire").count() == 1
    # and the new state has its own pending timer
    pending = Timer.objects.get(case_id=flow.case_id, status=PENDING)
    assert pending.state == "awaiting_return"
    assert pending.due_at == case.deadline_at


def test_refused_action_leaves_the_timer_alone(world, frozen):
    # given a case waiting on the merchant
    flow = Flow(world, frozen)
    flow.apply("return_refund")
    before = list(Timer.objects.filter(case_id=flow.case_id).values())
    # when the buyer tries to ship a return before any agreement
    with pytest.raises(ActionNotAllowed) as refused:
        services.ship_return(flow.case_id, actor=flow.buyer, carrier="SF", tracking_no="SF1234567890123")
    # then it is refused and the timers are exactly as they were
    assert refused.value.code == "action_not_allowed"
    assert list(Timer.objects.filter(case_id=flow.case_id).values()) == before


def test_refund_breach_is_an_alert_not_a_change_of_state(world, frozen, settings):
    # given a refund the payment side has not settled (a provider that reports by webhook)
    settings.PAYMENT_GATEWAY = "webhook-provider"
    flow = Flow(world, frozen)
    flow.apply("refund_only")
    services.agree(flow.case_id, actor=world.merchant)
    version = flow.case().version
    # when its 3 business days pass
    frozen.at(sh(2026, 11, 24, 0))
    report = run_due()
    # then the case is still refunding, with a breach recorded once, and no timer left pending
    case = flow.case()
    assert report["fired"] == 1
    assert case.state == "refunding"
    assert case.events.filter(action="deadline_breached").count() == 1
    assert case.version == version + 1
    assert not Timer.objects.filter(case_id=flow.case_id, status=PENDING).exists()


def test_delivered_return_brings_the_merchant_deadline_forward_to_48_hours(world, frozen):
    # given a return shipped back today (10 days for the merchant to confirm receipt)
    flow = Flow(world, frozen)
    flow.apply("return_refund")
    services.agree(flow.case_id, actor=world.merchant)
    services.ship_return(flow.case_id, actor=flow.buyer, carrier="SF", tracking_no="SF1234567890123")
    shipped_deadline = flow.case().deadline_at
    # when the carrier reports delivery two days later
    delivered = frozen.advance(days=2)
    record_carrier_event(
        actor=world.platform, carrier="SF", tracking_no="SF1234567890123", status="delivered", at=delivered
    )
    # then the deadline is 48 hours after delivery, sooner than 10 days after shipping, and the one pending
    # timer carries it
    case = flow.case()
    assert case.deadline_at == delivered + timedelta(hours=48)
    assert case.deadline_at < shipped_deadline
    pending = Timer.objects.get(case_id=flow.case_id, status=PENDING)
    assert (pending.state, pending.due_at) == ("return_in_transit", case.deadline_at)
