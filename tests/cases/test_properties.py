"""Random sequences of actions, by the right and the wrong actors, against the invariants of a case:

- a final state (refunded, completed, closed) never changes;
- the money paid back on an order never exceeds what was paid for it;
- a case has at most one refund;
- a successful action appends exactly one event and raises the case's version by exactly one;
- a refused action (any DomainError) changes nothing: case rows, events, refunds, timers, parcels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.cases import services
from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.core import clock
from aftersales.core.actors import BUYER, MERCHANT, Actor
from aftersales.core.errors import DomainError
from aftersales.logistics.models import RETURN, Shipment
from aftersales.orders.models import Order
from aftersales.refunds.models import Refund
from aftersales.timers.models import PENDING, Timer
from aftersales.timers.worker import run_due
from tests.factories import RETURN_ADDRESS, World, make_order, make_world, sh

START = sh(2026, 11, 18, 10)
SIGNED = sh(2026, 11, 16, 10)
SKU = "PHONE-CASE"
UNIT_FEN = 1990

ACTORS = ("buyer", "other_buyer", "merchant", "other_merchant", "platform", "system", "payment")

# ---- the world of one example ----------------------------------------------------------------------------


@dataclass
class Example:
    world: World
    order: Order
    actors: dict[str, Actor]

    def case_ids(self) -> list[int]:
        return list(AfterSale.objects.filter(order=self.order).order_by("id").values_list("id", flat=True))


def _build(shipped: bool, qty: int, freight_fen: int, insured: bool, has_address: bool) -> Example:
    world = make_world(default_return_address=RETURN_ADDRESS if has_address else None)
    buyer, _ = world.buyer()
    order = make_order(
        world,
        buyer,
        items=[(SKU, qty, UNIT_FEN)],
        freight_fen=freight_fen,
        shipped=shipped,
        signed_at=SIGNED if shipped else None,
        paid_at=sh(2026, 11, 14, 9),
        insured=insured,
    )
    actors = {
        "buyer": buyer,
        "other_buyer": Actor(role=BUYER, id="someone-else", buyer_id=buyer.buyer_id + 100_000),
        "merchant": world.merchant,
        "other_merchant": Actor(role=MERCHANT, id="隔壁店客服", shop_id=world.shop.pk + 100_000),
        "platform": world.platform,
        "system": Actor.system(),
        "payment": Actor.payment("simulated"),
    }
    return Example(world=world, order=order, actors=actors)


# ---- actions -----------------------------------------------------------------------------------------------

actor_st = st.sampled_from(ACTORS)
target_st = st.integers(min_value=0, max_value=3)
version_st = st.sampled_from(("none", "none", "none", "current", "stale"))


def _kind(kind: str, **fields: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"kind": st.just(kind), "actor": actor_st, "target": target_st,
                                  "version": version_st, **fields})  # fmt: skip


# Each action with its arguments, mostly valid; the actor is replaced by the right one for "sensible" steps.
STEP_KINDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "apply": _kind(
        "apply",
        type=st.sampled_from(t.TYPES),
        reason=st.sampled_from(("quality_issue", "not_received", "no_longer_needed", "size_unsuitable")),
        qty=st.sampled_from((1, 1, 2)),
        amount=st.sampled_from(("default", "default", "half", "zero", "over")),
    ),
    "propose_reship": _kind("propose_reship", qty=st.sampled_from((1, 1, 2))),
    "confirm": _kind("confirm"),
    "decline": _kind("decline"),
    "agree": _kind("agree", address=st.booleans()),
    "reject": _kind("reject", reason=st.sampled_from(("图片不清楚", "图片不清楚", ""))),
    "cancel": _kind("cancel"),
    "reapply": _kind("reapply", amount=st.sampled_from(("none", "none", "one", "full", "zero", "over"))),
    "escalate": _kind("escalate", reason=st.sampled_from(("商家拒绝不合理", "商家拒绝不合理", ""))),
    "decide": _kind("decide", decision=st.sampled_from(("refund", "reject", "return", "reship", "maybe"))),
    "ship_return": _kind(
        "ship_return",
        freight=st.sampled_from((0, 800)),
        tracking=st.sampled_from(("SF1234567890123", "SF1234567890123", "SF1234567890123", "SF12")),
    ),
    "receive_return": _kind("receive_return", accept=st.booleans(), note=st.sampled_from(("空包裹", ""))),
    "ship": _kind("ship"),
    "refund_instead": _kind("refund_instead"),
    "confirm_received": _kind("confirm_received"),
    "run_due": st.fixed_dictionaries(
        {"kind": st.just("run_due"), "hours": st.sampled_from((0, 1, 47, 49, 73, 7 * 24 + 1, 10 * 24 + 1))}
    ),
}
ANY_STEP = st.one_of(*STEP_KINDS.values())
PEOPLE = ("buyer", "merchant", "platform")


def _sensible(ex: Example) -> list[tuple[str, str]]:
    """(step kind, actor) pairs the latest case allows now, plus a new case and the worker."""
    options = [("apply", "buyer"), ("apply", "buyer"), ("propose_reship", "merchant"), ("run_due", "")]
    ids = ex.case_ids()
    if ids:
        case = AfterSale.objects.get(pk=ids[-1])
        for role in PEOPLE:
            # Weighted towards moving the case on (rather than a new case, the worker, a cancellation or the
            # platform stepping in), so that cases travel far.
            for name in t.allowed(case.state, case.type, role):
                if name in STEP_KINDS:
                    detour = name == "cancel" or (role == "platform" and name == "escalate")
                    options += [(name, role)] * (1 if detour else 4)
    return options


def _draw_step(data: st.DataObject, ex: Example) -> dict[str, Any]:
    """Eight times in ten an action the latest case allows, by the right actor; otherwise anything."""
    if data.draw(st.integers(min_value=0, max_value=9), label="sensible") >= 8:
        return data.draw(ANY_STEP, label="step")
    kind, role = data.draw(st.sampled_from(_sensible(ex)), label="choice")
    step = dict(data.draw(STEP_KINDS[kind], label="step"))
    if role:
        step["actor"], step["target"] = role, 0
    return step


def _target(ex: Example, step: dict[str, Any]) -> tuple[int, int | None]:
    """The case the step acts on (an id that exists nowhere when the order has no case yet), and the version
    to send."""
    ids = ex.case_ids()
    if not ids:
        return 0, None
    case_id = ids[-1 - step["target"] % len(ids)]
    current = AfterSale.objects.get(pk=case_id).version
    version = {"none": None, "current": current, "stale": current - 1}[step["version"]]
    return case_id, version


def _requested_fen(ex: Example, qty: int) -> int:
    line = ex.order.items.get()
    return line.paid_fen * qty // line.qty


def _run(ex: Example, step: dict[str, Any]) -> int | None:
    """Take the step; returns the id of the case it acted on (None for the worker)."""
    kind = step["kind"]
    if kind == "run_due":
        if step["hours"]:
            clock.advance(timedelta(hours=step["hours"]))
        run_due()
        return None
    actor = ex.actors[step["actor"]]
    if kind == "apply":
        requested = _requested_fen(ex, step["qty"])
        refund_fen = {"default": None, "half": requested // 2, "zero": 0, "over": requested + 1}[
            step["amount"]
        ]
        app = services.Application(
            order_sn=ex.order.order_sn,
            type=step["type"],
            reason_code=step["reason"],
            items=[services.ItemRequest(SKU, step["qty"])],
            refund_fen=refund_fen,
        )
        return services.apply(app, actor=actor).pk
    if kind == "propose_reship":
        proposal = services.Proposal(
            order_sn=ex.order.order_sn, items=[(SKU, step["qty"])], reason_code="missing_item"
        )
        return services.propose_reship(proposal, actor=actor).pk
    case_id, version = _target(ex, step)
    if kind == "agree":
        address = dict(RETURN_ADDRESS, name="退货组") if step["address"] else None
        services.agree(case_id, actor=actor, version=version, return_address=address)
    elif kind == "reject":
        services.reject(case_id, actor=actor, version=version, reason=step["reason"])
    elif kind == "cancel":
        services.cancel(case_id, actor=actor, version=version)
    elif kind == "confirm":
        services.confirm(case_id, actor=actor, version=version)
    elif kind == "decline":
        services.decline(case_id, actor=actor, version=version, reason="不需要了")
    elif kind == "reapply":
        full = ex.order.goods_paid_fen
        amount = {"none": None, "one": 1, "full": full, "zero": 0, "over": full + 1}[step["amount"]]
        services.reapply(case_id, actor=actor, version=version, refund_fen=amount, description="补充说明")
    elif kind == "escalate":
        services.escalate(case_id, actor=actor, version=version, reason=step["reason"])
    elif kind == "decide":
        services.decide(case_id, actor=actor, version=version, decision=step["decision"], note="平台判定")
    elif kind == "ship_return":
        services.ship_return(
            case_id, actor=actor, version=version, carrier="SF", tracking_no=step["tracking"],
            freight_fen=step["freight"],
        )  # fmt: skip
    elif kind == "receive_return":
        services.receive_return(
            case_id, actor=actor, version=version, accept=step["accept"], note=step["note"]
        )
    elif kind == "ship":
        services.ship(case_id, actor=actor, version=version, carrier="ZTO", tracking_no="773300000001")
    elif kind == "refund_instead":
        services.refund_instead(case_id, actor=actor, version=version, note="缺货")
    elif kind == "confirm_received":
        services.confirm_received(case_id, actor=actor, version=version)
    return case_id


# ---- what is observed ------------------------------------------------------------------------------------


def _snapshot(ex: Example) -> dict[str, Any]:
    order = ex.order
    return {
        "order": Order.objects.filter(pk=order.pk).values().get(),
        "cases": {row["id"]: row for row in AfterSale.objects.filter(order=order).values()},
        "events": list(CaseEvent.objects.filter(case__order=order).order_by("id").values()),
        "refunds": list(Refund.objects.filter(case__order=order).order_by("id").values()),
        "timers": list(Timer.objects.filter(case__order=order).order_by("id").values()),
        "shipments": list(Shipment.objects.filter(case__order=order).order_by("id").values()),
    }


def _events_by_case(snap: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    by_case: dict[int, list[dict[str, Any]]] = {case_id: [] for case_id in snap["cases"]}
    for event in snap["events"]:
        by_case[event["case_id"]].append(event)
    return by_case


def _check_invariants(
    ex: Example, before: dict[str, Any], after: dict[str, Any], step: dict[str, Any]
) -> None:
    # Final states never change.
    for case_id, case in before["cases"].items():
        if case["state"] in t.FINAL_STATES:
            now = after["cases"][case_id]
            assert (now["state"], now["close_reason"]) == (case["state"], case["close_reason"]), step
    # Events are never updated or deleted; a case's version is its number of events, in sequence.
    assert after["events"][: len(before["events"])] == before["events"], step
    for case_id, events in _events_by_case(after).items():
        case = after["cases"][case_id]
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), step
        assert case["version"] == case["event_seq"] == len(events), step
        assert events[-1]["to_state"] == case["state"], step
    # At most one refund per case, each of a positive amount made of its parts.
    refund_cases = [r["case_id"] for r in after["refunds"]]
    assert len(refund_cases) == len(set(refund_cases)), step
    for refund in after["refunds"]:
        assert refund["amount_fen"] == refund["goods_fen"] + refund["freight_fen"] > 0, step
    # The money paid back never exceeds what was paid: the goods part against the goods, and goods plus
    # outbound freight against the whole payment (return freight the merchant bears comes on top, as its own
    # line, for a parcel the buyer paid the carrier for).
    order = ex.order
    returned = {s["case_id"] for s in after["shipments"] if s["kind"] == RETURN}
    goods = sum(r["goods_fen"] for r in after["refunds"])
    outbound_freight = sum(r["freight_fen"] for r in after["refunds"] if r["case_id"] not in returned)
    assert goods <= order.goods_paid_fen, step
    assert goods + outbound_freight <= order.paid_fen, step
    # One pending timer at most per case, for the state it is in; none once final.
    for case_id, case in after["cases"].items():
        pending = [tm for tm in after["timers"] if tm["case_id"] == case_id and tm["status"] == PENDING]
        assert len(pending) <= 1, step
        if case["state"] in t.FINAL_STATES:
            assert pending == [], step
        for timer in pending:
            assert timer["state"] == case["state"], step
    # A deadline never fails: the worker would hide the error behind a retry.
    assert not [tm for tm in after["timers"] if tm["attempts"]], (step, after["timers"])


def _check_success(before: dict[str, Any], after: dict[str, Any], case_id: int, step: dict[str, Any]) -> None:
    old, new = _events_by_case(before), _events_by_case(after)
    for other_id, events in old.items():
        if other_id != case_id:
            assert new[other_id] == events, step
    added = len(new[case_id]) - len(old.get(case_id, []))
    assert added == 1, (step, new[case_id][-3:])
    old_version = before["cases"][case_id]["version"] if case_id in before["cases"] else 0
    assert after["cases"][case_id]["version"] == old_version + 1, step
    assert set(after["cases"]) - set(before["cases"]) <= {case_id}, step


def _check_refusal(
    before: dict[str, Any], after: dict[str, Any], step: dict[str, Any], error: DomainError
) -> None:
    for key in before:
        assert after[key] == before[key], (step, error.code, key)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shipped=st.sampled_from((True, True, True, False)),
    qty=st.sampled_from((1, 2)),
    freight_fen=st.sampled_from((0, 600)),
    insured=st.booleans(),
    has_address=st.sampled_from((True, True, False)),
    length=st.integers(min_value=1, max_value=25),
    data=st.data(),
)
def test_random_actions_keep_the_case_invariants(
    frozen, shipped, qty, freight_fen, insured, has_address, length, data
):
    # given a fresh shop and order, at the same moment for every example (each example is rolled back)
    with transaction.atomic():
        frozen.at(START)
        ex = _build(shipped, qty, freight_fen, insured, has_address)
        for _ in range(length):
            step = _draw_step(data, ex)
            before = _snapshot(ex)
            # when a step is taken, by whoever the step names
            try:
                case_id = _run(ex, step)
            except DomainError as error:
                # then a refusal changes nothing
                _check_refusal(before, _snapshot(ex), step, error)
                continue
            after = _snapshot(ex)
            # then a success leaves exactly one event on its case, and every invariant holds
            if case_id is not None:
                _check_success(before, after, case_id, step)
            _check_invariants(ex, before, after, step)
        transaction.set_rollback(True)


# ---- counter-examples the property found, kept as plain tests ----------------------------------------------


def _refunded_refund_only(world: World, buyer: Actor, order: Order, qty: int) -> None:
    app = services.Application(
        order_sn=order.order_sn,
        type="refund_only",
        reason_code="quality_issue",
        items=[services.ItemRequest(SKU, qty)],
    )
    case = services.apply(app, actor=buyer)
    services.agree(case.pk, actor=world.merchant)
    run_due()
    assert AfterSale.objects.get(pk=case.pk).state == "refunded"


def _escalated_exchange(world: World, buyer: Actor, order: Order, qty: int) -> AfterSale:
    app = services.Application(
        order_sn=order.order_sn,
        type="exchange",
        reason_code="quality_issue",
        items=[services.ItemRequest(SKU, qty)],
    )
    case = services.apply(app, actor=buyer)
    return services.escalate(case.pk, actor=world.platform)


def test_platform_refund_on_an_exchange_of_an_item_already_refunded_is_refused(world, frozen):
    # given an item already refunded in full, then an exchange of it escalated to the platform
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[(SKU, 1, UNIT_FEN)], signed_at=SIGNED)
    _refunded_refund_only(world, buyer, order, qty=1)
    case = _escalated_exchange(world, buyer, order, qty=1)
    before = _snapshot(Example(world=world, order=order, actors={}))
    # when the platform decides on a refund
    with pytest.raises(DomainError) as refused:
        services.decide(case.pk, actor=world.platform, decision="refund", note="支持买家")
    # then it is refused, nothing is paid twice, and nothing changed
    assert refused.value.code == "amount_exceeds_refundable"
    assert _snapshot(Example(world=world, order=order, actors={})) == before
    assert sum(Refund.objects.filter(case__order=order).values_list("goods_fen", flat=True)) == UNIT_FEN


def test_platform_refund_on_an_exchange_pays_only_what_is_left(world, frozen):
    # given two units, one refunded, then an exchange of both escalated to the platform
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[(SKU, 2, UNIT_FEN)], signed_at=SIGNED)
    _refunded_refund_only(world, buyer, order, qty=1)
    case = _escalated_exchange(world, buyer, order, qty=2)
    # when the platform decides on a refund
    services.decide(case.pk, actor=world.platform, decision="refund", note="支持买家")
    # then the exchange pays back the one unit not yet refunded, and the order's total stays what was paid
    assert Refund.objects.get(case_id=case.pk).goods_fen == UNIT_FEN
    assert sum(Refund.objects.filter(case__order=order).values_list("goods_fen", flat=True)) == 2 * UNIT_FEN
