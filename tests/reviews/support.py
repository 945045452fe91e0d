"""Cases brought to a given point through the real services, at the frozen clock's time."""

from __future__ import annotations

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.core.actors import Actor
from aftersales.orders.models import Order
from aftersales.timers.worker import run_due
from tests.factories import World


def refund_only(buyer: Actor, order: Order, *, sku: str = "PHONE-CASE", reason: str = "damaged") -> AfterSale:
    """The buyer's refund-only application for one unit of ``sku`` on ``order``."""
    return services.apply(
        services.Application(order.order_sn, "refund_only", reason, [services.ItemRequest(sku, 1)]),
        actor=buyer,
    )


def refunded(world: World, buyer: Actor, order: Order, *, sku: str = "PHONE-CASE") -> AfterSale:
    """A refund-only case the merchant agreed to and the worker settled, now ``refunded``."""
    case = refund_only(buyer, order, sku=sku)
    services.agree(case.pk, actor=world.merchant)
    run_due()
    case.refresh_from_db()
    assert case.state == "refunded"
    return case
