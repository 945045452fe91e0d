"""Rule 7 per order line: what was paid for the items less what was already refunded on them."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.cases import services as cs
from aftersales.core.errors import AmountExceedsRefundable
from aftersales.refunds.models import Refund
from aftersales.timers.worker import run_due
from tests.factories import make_order, sh


def _refund_only(buyer: Any, order_sn: str, sku: str, qty: int = 1, refund_fen: int | None = None) -> Any:
    return cs.apply(
        cs.Application(order_sn, "refund_only", "damaged", [cs.ItemRequest(sku, qty)], refund_fen=refund_fen),
        actor=buyer,
    )


@pytest.mark.django_db
def test_a_line_refunded_once_cannot_be_refunded_again_while_another_line_still_can(
    world: Any, frozen: Any
) -> None:
    # given an order of two lines, A and B, 19.90 each, and A already refunded
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("A", 1, 1990), ("B", 1, 1990)], signed_at=sh(2026, 11, 16, 10))
    first = _refund_only(buyer, order.order_sn, "A")
    cs.agree(first.pk, actor=world.merchant)
    run_due()
    # when the buyer asks for A again
    with pytest.raises(AmountExceedsRefundable) as refused:
        _refund_only(buyer, order.order_sn, "A")
    # then A has nothing left, and B can still be refunded in full
    assert refused.value.params["refundable_fen"] == 0
    second = _refund_only(buyer, order.order_sn, "B")
    assert second.refund_fen == 1990
    assert Refund.objects.filter(case__order=order).count() == 1


@pytest.mark.django_db
def test_a_line_of_two_units_can_be_refunded_one_unit_at_a_time(world: Any, frozen: Any) -> None:
    # given a line of two units, one of them refunded
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("A", 2, 1990)], signed_at=sh(2026, 11, 16, 10))
    first = _refund_only(buyer, order.order_sn, "A", qty=1)
    cs.agree(first.pk, actor=world.merchant)
    run_due()
    # when the second unit is asked for
    second = _refund_only(buyer, order.order_sn, "A", qty=1)
    # then it is refundable, and a third would not be
    assert second.refund_fen == 1990
    cs.agree(second.pk, actor=world.merchant)
    run_due()
    with pytest.raises(AmountExceedsRefundable):
        _refund_only(buyer, order.order_sn, "A", qty=1)
