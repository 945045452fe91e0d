"""Two merchants agreeing two reships for the last unit of a SKU at the same moment (PostgreSQL only: SQLite
serialises writers, so there is no race to see). Exactly one agreement reserves the unit; the other is refused
with ``insufficient_stock``; available stock never goes below zero."""

import threading

import pytest
from django.db import connection

from aftersales.accounts.services import create_token
from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.catalog.models import RESERVED, RestockAlert, Sku, StockReservation
from aftersales.core.actors import MERCHANT, Actor
from aftersales.core.errors import InsufficientStock
from tests.conftest import postgres_only
from tests.factories import make_order, make_sku, sh

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 5


def _confirmed_reship(world, sku: str) -> AfterSale:
    """A reship of 1 unit of ``sku`` the merchant proposed and a new buyer confirmed: pending_merchant."""
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[(sku, 1, 1990)], signed_at=sh(2026, 11, 16, 10))
    case = services.propose_reship(
        services.Proposal(order_sn=order.order_sn, items=[(sku, 1)], reason_code="missing_item"),
        actor=world.merchant,
    )
    return services.confirm(case.pk, actor=buyer)


def _agree_together(cases: list[AfterSale], merchants: list[Actor]) -> list[object]:
    """Each merchant agrees one case in its own thread (its own DB connection), all released at once."""
    barrier = threading.Barrier(len(cases))
    outcomes: list[object] = [None] * len(cases)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[i] = services.agree(cases[i].pk, actor=merchants[i]).state
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_two_merchants_agreeing_for_the_last_unit_one_wins(world, frozen, round_no):
    # given a SKU with one unit left and two confirmed reships of it, and two merchant staff of the shop
    sku = make_sku(world, f"LAST-ONE-{round_no}", stock=1)
    cases = [_confirmed_reship(world, sku), _confirmed_reship(world, sku)]
    create_token(role=MERCHANT, shop=world.shop, name="客服小张")
    merchants = [world.merchant, Actor(role=MERCHANT, id="客服小张", shop_id=world.shop.pk)]

    # when both agree at the same moment
    outcomes = _agree_together(cases, merchants)

    # then exactly one succeeded and the other was refused for lack of stock
    won = [o for o in outcomes if o == "awaiting_shipment"]
    lost = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert lost[0].params["available"] == 0
    assert lost[0].params["needed"] == 1
    # and the unit is reserved once, never below zero available
    row = Sku.objects.get(shop=world.shop, sku=sku)
    assert (row.stock, row.reserved, row.available) == (1, 1, 0)
    reservations = StockReservation.objects.filter(sku=row)
    assert [(r.qty, r.status) for r in reservations] == [(1, RESERVED)]
    # and the cases say the same: the winner waits to ship, the loser is still the merchant's to handle
    states = sorted(AfterSale.objects.filter(pk__in=[c.pk for c in cases]).values_list("state", flat=True))
    assert states == ["awaiting_shipment", "pending_merchant"]
    loser = next(c for c, o in zip(cases, outcomes, strict=True) if isinstance(o, InsufficientStock))
    assert reservations[0].case_id != loser.pk
    assert list(RestockAlert.objects.filter(sku=row).values_list("case_id_hint", flat=True)) == [loser.pk]


def test_many_merchants_agreeing_for_two_units_two_win(world, frozen):
    # given a SKU with two units left and four confirmed reships of it
    sku = make_sku(world, "LAST-TWO", stock=2)
    cases = [_confirmed_reship(world, sku) for _ in range(4)]
    merchants = []
    for i in range(4):
        create_token(role=MERCHANT, shop=world.shop, name=f"客服{i}")
        merchants.append(Actor(role=MERCHANT, id=f"客服{i}", shop_id=world.shop.pk))

    # when all four agree at the same moment
    outcomes = _agree_together(cases, merchants)

    # then two win and two are refused, and stock is reserved exactly to the last unit
    assert sorted(type(o).__name__ for o in outcomes) == [
        "InsufficientStock",
        "InsufficientStock",
        "str",
        "str",
    ]
    row = Sku.objects.get(shop=world.shop, sku=sku)
    assert (row.stock, row.reserved, row.available) == (2, 2, 0)
    assert StockReservation.objects.filter(sku=row, status=RESERVED).count() == 2
