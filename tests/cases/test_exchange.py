"""The exchange path (换货, domain.md sections 4 and 9), at the service layer: agreeing reserves the size the buyer
wants, the returned goods go back into stock when resellable, shipping consumes the reservation; a refund
instead, or closing the case, releases it."""

import pytest

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.catalog.models import CONSUMED, RELEASED, RESERVED, Sku, StockReservation
from aftersales.core.errors import InsufficientStock
from aftersales.refunds.models import Refund
from aftersales.timers.worker import run_due
from tests.factories import RETURN_ADDRESS, make_order, make_sku, sh

SIZE_M, SIZE_L = "SHIRT-M", "SHIRT-L"


def _stock(sku: str) -> tuple[int, int, int]:
    row = Sku.objects.get(sku=sku)
    return row.stock, row.reserved, row.available


def _reservations(case: AfterSale) -> list[tuple[str, int, str]]:
    return [
        (r.sku.sku, r.qty, r.status)
        for r in StockReservation.objects.filter(case=case).select_related("sku").order_by("id")
    ]


def _exchange(world, *, exchange_sku: str | None = SIZE_L, qty: int = 1) -> tuple[AfterSale, object]:
    """A signed order of 2 shirts in size M (99.00 元 each); the buyer asks to exchange ``qty`` of them."""
    buyer, _ = world.buyer()
    make_sku(world, SIZE_M, price_fen=9900, stock=10)
    make_sku(world, SIZE_L, price_fen=9900, stock=5)
    order = make_order(world, buyer, items=[(SIZE_M, 2, 9900)], signed_at=sh(2026, 11, 16, 10))
    case = services.apply(
        services.Application(
            order_sn=order.order_sn,
            type="exchange",
            reason_code="size_unsuitable",
            items=[services.ItemRequest(SIZE_M, qty)],
            exchange_sku=exchange_sku,
        ),
        actor=buyer,
    )
    return case, buyer


def _returned(world, case: AfterSale, buyer) -> AfterSale:
    services.agree(case.pk, actor=world.merchant, return_address=RETURN_ADDRESS)
    return services.ship_return(case.pk, actor=buyer, carrier="YTO", tracking_no="YT1234567890123")


def test_exchange_agree_reserves_the_exchange_sku_only(world, frozen):
    # given an exchange of a size M shirt for a size L
    case, _ = _exchange(world)
    assert case.state == "pending_merchant"
    assert case.exchange_sku == SIZE_L
    assert case.refund_fen == 0

    # when the merchant agrees with a return address
    case = services.agree(case.pk, actor=world.merchant, return_address=RETURN_ADDRESS)

    # then the buyer ships first, and one size L is held for the replacement; size M is untouched
    assert case.state == "awaiting_return"
    assert case.return_address == RETURN_ADDRESS
    assert _stock(SIZE_L) == (5, 1, 4)
    assert _stock(SIZE_M) == (10, 0, 10)
    assert _reservations(case) == [(SIZE_L, 1, RESERVED)]


def test_exchange_without_exchange_sku_reserves_the_same_sku(world, frozen):
    # given an exchange of 2 shirts for the same size (a faulty pair)
    case, _ = _exchange(world, exchange_sku=None, qty=2)
    assert case.exchange_sku == SIZE_M

    # when the merchant agrees
    services.agree(case.pk, actor=world.merchant)

    # then 2 of the same SKU are reserved
    assert _stock(SIZE_M) == (10, 2, 8)
    assert _stock(SIZE_L) == (5, 0, 5)


@pytest.mark.parametrize(("resellable", "size_m_stock"), [(True, 11), (False, 10)])
def test_exchange_full_path_ends_completed(world, frozen, resellable, size_m_stock):
    # given an agreed exchange whose returned shirt is on its way back
    case, buyer = _exchange(world)
    case = _returned(world, case, buyer)
    assert case.state == "return_in_transit"

    # when the merchant receives it (resellable or not)
    frozen.advance(days=2)
    case = services.receive_return(case.pk, actor=world.merchant, accept=True, resellable=resellable)

    # then the replacement waits to be shipped, and the returned shirt is back in stock only when resellable
    assert case.state == "awaiting_shipment"
    assert case.waiting_on == "merchant"
    assert _stock(SIZE_M) == (size_m_stock, 0, size_m_stock)
    assert _stock(SIZE_L) == (5, 1, 4)
    assert case.events.last().data["resellable"] is resellable

    # when the merchant ships the replacement
    frozen.advance(hours=3)
    case = services.ship(case.pk, actor=world.merchant, carrier="JT", tracking_no="JT1234567890123")

    # then the reservation is consumed: the unit leaves the stock
    assert case.state == "replacement_in_transit"
    assert _stock(SIZE_L) == (4, 0, 4)
    assert _reservations(case) == [(SIZE_L, 1, CONSUMED)]

    # when the buyer confirms receipt
    case = services.confirm_received(case.pk, actor=buyer)

    # then the exchange is completed, with no money moved and stock as it was
    assert case.state == "completed"
    assert case.deadline_at is None
    assert not Refund.objects.filter(case=case).exists()
    assert _stock(SIZE_L) == (4, 0, 4)
    assert [e.action for e in case.events.all()] == [
        "apply",
        "agree",
        "ship_return",
        "receive_return:accept",
        "ship",
        "confirm_received",
    ]


def test_exchange_refund_instead_releases_and_refunds_the_items(world, frozen):
    # given an exchange waiting to ship, whose returned shirt was received
    case, buyer = _exchange(world)
    case = _returned(world, case, buyer)
    case = services.receive_return(case.pk, actor=world.merchant, accept=True)
    assert _stock(SIZE_L) == (5, 1, 4)

    # when the merchant cannot supply a size L and refunds instead
    case = services.refund_instead(case.pk, actor=world.merchant, note="L 码断货")

    # then the reservation is released and the buyer gets back what the shirt cost
    assert case.state == "refunding"
    assert _stock(SIZE_L) == (5, 0, 5)
    assert _reservations(case) == [(SIZE_L, 1, RELEASED)]
    refund = Refund.objects.get(case=case)
    assert refund.goods_fen == 9900
    assert refund.amount_fen == 9900
    assert case.refund_fen == 9900

    # when the payment settles
    run_due()

    # then the case is refunded, and no stock moves again
    case.refresh_from_db()
    assert case.state == "refunded"
    assert _stock(SIZE_L) == (5, 0, 5)


def test_exchange_refund_instead_of_two_refunds_both(world, frozen):
    # given an exchange of 2 shirts, received back and waiting to ship
    case, buyer = _exchange(world, qty=2)
    case = _returned(world, case, buyer)
    case = services.receive_return(case.pk, actor=world.merchant, accept=True)
    assert _stock(SIZE_L) == (5, 2, 3)

    # when the merchant refunds instead
    case = services.refund_instead(case.pk, actor=world.merchant)

    # then both units are released and both shirts are paid back
    assert _stock(SIZE_L) == (5, 0, 5)
    assert Refund.objects.get(case=case).amount_fen == 2 * 9900


def test_exchange_cancelled_by_the_buyer_releases_the_reservation(world, frozen):
    # given an agreed exchange, before the buyer ships the return
    case, buyer = _exchange(world)
    services.agree(case.pk, actor=world.merchant, return_address=RETURN_ADDRESS)
    assert _stock(SIZE_L) == (5, 1, 4)

    # when the buyer cancels
    case = services.cancel(case.pk, actor=buyer)

    # then the case is closed and the size L is available again
    assert (case.state, case.close_reason) == ("closed", "buyer_cancelled")
    assert _stock(SIZE_L) == (5, 0, 5)
    assert _reservations(case) == [(SIZE_L, 1, RELEASED)]


def test_exchange_not_shipped_back_in_time_releases_the_reservation(world, frozen):
    # given an agreed exchange
    case, _ = _exchange(world)
    case = services.agree(case.pk, actor=world.merchant, return_address=RETURN_ADDRESS)

    # when the 7 days to ship the return pass
    frozen.at(case.deadline_at)
    run_due()

    # then the case closes as buyer_overdue and the reservation is released
    case.refresh_from_db()
    assert (case.state, case.close_reason) == ("closed", "buyer_overdue")
    assert _stock(SIZE_L) == (5, 0, 5)


def test_exchange_agree_with_no_stock_of_the_exchange_sku_is_refused(world, frozen):
    # given an exchange for a size L when none is available
    case, _ = _exchange(world)
    Sku.objects.filter(sku=SIZE_L).update(stock=0)
    version = case.version

    # when the merchant agrees
    with pytest.raises(InsufficientStock) as refused:
        services.agree(case.pk, actor=world.merchant, return_address=RETURN_ADDRESS)

    # then it is refused for the size L, and nothing moved
    assert refused.value.params["sku"] == SIZE_L
    case.refresh_from_db()
    assert (case.state, case.version) == ("pending_merchant", version)
    assert _stock(SIZE_M) == (10, 0, 10)
    assert _stock(SIZE_L) == (0, 0, 0)
    assert _reservations(case) == []
