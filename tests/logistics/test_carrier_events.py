"""Carrier events arriving by webhook (domain.md sections 6 and 9): they move the parcel's times; a delivered
return brings the merchant's deadline forward to 48 hours after delivery when that is sooner, replacing its
timer; a repeated scan changes nothing. And the merchant's shipping list: replacements first."""

from datetime import timedelta

import pytest

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.core.errors import Forbidden, InvalidTrackingNo, UnknownCarrier
from aftersales.logistics.models import REPLACEMENT, RETURN, Shipment
from aftersales.logistics.services import record_carrier_event
from aftersales.timers.models import OBSOLETE, PENDING, Timer
from aftersales.timers.worker import run_due
from tests.acceptance.support import problem, when
from tests.factories import RETURN_ADDRESS, make_order, sh

RETURN_NO = "SF1234567890123"
REPLACEMENT_NO = "773398765432"


def _return_in_transit(world, frozen) -> AfterSale:
    """A return_refund whose buyer shipped the goods back with SF on 11-18 at 10:00."""
    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    case = services.apply(
        services.Application(
            order_sn=order.order_sn,
            type="return_refund",
            reason_code="quality_issue",
            items=[services.ItemRequest("PHONE-CASE", 1)],
        ),
        actor=buyer,
    )
    services.agree(case.pk, actor=world.merchant, return_address=RETURN_ADDRESS)
    frozen.at(sh(2026, 11, 18, 10))
    return services.ship_return(case.pk, actor=buyer, carrier="SF", tracking_no=RETURN_NO)


def _reship_in_transit(world, frozen) -> AfterSale:
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=sh(2026, 11, 16, 10))
    case = services.apply(
        services.Application(
            order_sn=order.order_sn,
            type="reship",
            reason_code="missing_item",
            items=[services.ItemRequest("SOCKS", 1)],
        ),
        actor=buyer,
    )
    services.agree(case.pk, actor=world.merchant)
    return services.ship(case.pk, actor=world.merchant, carrier="ZTO", tracking_no=REPLACEMENT_NO)


def _pending_timers(case: AfterSale) -> list[tuple[str, object]]:
    return list(Timer.objects.filter(case=case, status=PENDING).values_list("kind", "due_at"))


def test_picked_up_and_delivered_move_the_replacement_times(world, frozen):
    # given a reship on its way to the buyer
    case = _reship_in_transit(world, frozen)
    deadline = case.deadline_at

    # when the carrier reports pickup, then transit, then delivery
    picked = record_carrier_event(
        actor=world.platform,
        carrier="ZTO",
        tracking_no=REPLACEMENT_NO,
        status="picked_up",
        at=sh(2026, 11, 18, 14),
    )
    moving = record_carrier_event(
        actor=world.platform,
        carrier="ZTO",
        tracking_no=REPLACEMENT_NO,
        status="in_transit",
        at=sh(2026, 11, 18, 20),
    )
    delivered = record_carrier_event(
        actor=world.platform,
        carrier="ZTO",
        tracking_no=REPLACEMENT_NO,
        status="delivered",
        at=sh(2026, 11, 19, 9),
    )

    # then the parcel has its pickup and delivery times; transit after pickup changes nothing
    assert (picked.shipments, picked.cases) == (1, [case.pk])
    assert moving.cases == []
    assert delivered.cases == [case.pk]
    parcel = Shipment.objects.get(case=case, kind=REPLACEMENT)
    assert parcel.picked_up_at == sh(2026, 11, 18, 14)
    assert parcel.delivered_at == sh(2026, 11, 19, 9)
    # and the case records each scan it took, without changing state or deadline
    case.refresh_from_db()
    assert case.state == "replacement_in_transit"
    assert case.deadline_at == deadline
    scans = [e.data["status"] for e in case.events.filter(action="carrier_event")]
    assert scans == ["picked_up", "delivered"]


def test_delivered_without_pickup_sets_both_times(world, frozen):
    # given a reship on its way, never scanned
    case = _reship_in_transit(world, frozen)

    # when the first scan is the delivery
    record_carrier_event(
        actor=world.platform,
        carrier="ZTO",
        tracking_no=REPLACEMENT_NO,
        status="delivered",
        at=sh(2026, 11, 19, 9),
    )

    # then it counts as picked up as well
    parcel = Shipment.objects.get(case=case, kind=REPLACEMENT)
    assert parcel.picked_up_at == parcel.delivered_at == sh(2026, 11, 19, 9)


def test_delivered_return_brings_the_deadline_forward_and_replaces_the_timer(world, frozen):
    # given a return shipped on 11-18 at 10:00: the merchant has 10 days to confirm receipt
    case = _return_in_transit(world, frozen)
    assert case.deadline_at == sh(2026, 11, 28, 10)
    assert _pending_timers(case) == [("return_not_received", sh(2026, 11, 28, 10))]
    old_timer = Timer.objects.get(case=case, status=PENDING)

    # when the carrier reports it delivered on 11-19 at 15:00
    frozen.at(sh(2026, 11, 19, 16))
    applied = record_carrier_event(
        actor=world.platform, carrier="SF", tracking_no=RETURN_NO, status="delivered", at=sh(2026, 11, 19, 15)
    )

    # then the deadline is 48 hours after delivery, and its timer row is the only pending one
    assert applied.cases == [case.pk]
    case.refresh_from_db()
    assert case.state == "return_in_transit"
    assert case.deadline_at == sh(2026, 11, 21, 15)
    assert case.due_sort == sh(2026, 11, 21, 15)
    assert _pending_timers(case) == [("return_not_received", sh(2026, 11, 21, 15))]
    old_timer.refresh_from_db()
    assert old_timer.status == OBSOLETE
    assert Shipment.objects.get(case=case, kind=RETURN).delivered_at == sh(2026, 11, 19, 15)
    scan = case.events.get(action="carrier_event")
    assert scan.actor_role == "platform"
    assert when(scan.data["deadline_at"]) == sh(2026, 11, 21, 15)

    # when the new deadline passes without the merchant confirming receipt
    frozen.at(sh(2026, 11, 21, 15))
    run_due()

    # then the refund starts by itself
    case.refresh_from_db()
    assert case.state in ("refunding", "refunded")
    assert case.events.filter(action="expire", actor_role="system").count() == 1


def test_delivered_return_later_than_the_deadline_leaves_it(world, frozen):
    # given a return shipped on 11-18 at 10:00 (deadline 11-28 at 10:00)
    case = _return_in_transit(world, frozen)
    timers = list(Timer.objects.filter(case=case).values_list("id", "status", "due_at"))

    # when the carrier reports delivery only on 11-27: 48 hours later would be after the deadline
    frozen.at(sh(2026, 11, 27, 12))
    record_carrier_event(
        actor=world.platform, carrier="SF", tracking_no=RETURN_NO, status="delivered", at=sh(2026, 11, 27, 11)
    )

    # then the deadline and the timer stay as they were; the delivery is still recorded
    case.refresh_from_db()
    assert case.deadline_at == sh(2026, 11, 28, 10)
    assert list(Timer.objects.filter(case=case).values_list("id", "status", "due_at")) == timers
    assert "deadline_at" not in case.events.get(action="carrier_event").data
    assert Shipment.objects.get(case=case, kind=RETURN).delivered_at == sh(2026, 11, 27, 11)


@pytest.mark.parametrize("status", ["picked_up", "delivered"])
def test_repeated_scan_changes_nothing(world, frozen, status):
    # given a return already scanned once
    case = _return_in_transit(world, frozen)
    frozen.at(sh(2026, 11, 19, 16))
    record_carrier_event(
        actor=world.platform, carrier="SF", tracking_no=RETURN_NO, status=status, at=sh(2026, 11, 19, 15)
    )
    case.refresh_from_db()
    before = (case.version, case.deadline_at, case.events.count())
    parcel = Shipment.objects.get(case=case, kind=RETURN)
    timers = list(Timer.objects.filter(case=case).values_list("id", "status", "due_at"))

    # when the carrier sends the same scan again, later
    frozen.at(sh(2026, 11, 20, 9))
    applied = record_carrier_event(
        actor=world.platform, carrier="SF", tracking_no=RETURN_NO, status=status, at=sh(2026, 11, 20, 8)
    )

    # then nothing changes: case, events, parcel times, timers
    assert applied.cases == []
    case.refresh_from_db()
    assert (case.version, case.deadline_at, case.events.count()) == before
    again = Shipment.objects.get(case=case, kind=RETURN)
    assert (again.picked_up_at, again.delivered_at) == (parcel.picked_up_at, parcel.delivered_at)
    assert list(Timer.objects.filter(case=case).values_list("id", "status", "due_at")) == timers


def test_scan_of_an_unknown_number_touches_nothing(world, frozen):
    # given a return in transit
    case = _return_in_transit(world, frozen)

    # when a scan arrives for a valid number no case has
    applied = record_carrier_event(
        actor=world.platform, carrier="SF", tracking_no="SF9999999999999", status="delivered", at=None
    )

    # then no parcel and no case is touched
    assert (applied.shipments, applied.cases) == (0, [])
    assert Shipment.objects.get(case=case, kind=RETURN).delivered_at is None


def test_scan_with_a_bad_carrier_or_number_or_from_a_merchant_is_refused(world, frozen):
    # given a return in transit
    case = _return_in_transit(world, frozen)

    # when scans arrive with an unknown carrier, a malformed number, or from a merchant's token
    with pytest.raises(UnknownCarrier):
        record_carrier_event(
            actor=world.platform, carrier="DHL", tracking_no=RETURN_NO, status="delivered", at=None
        )
    with pytest.raises(InvalidTrackingNo):
        record_carrier_event(
            actor=world.platform, carrier="SF", tracking_no="SF12", status="delivered", at=None
        )
    with pytest.raises(Forbidden):
        record_carrier_event(
            actor=world.merchant, carrier="SF", tracking_no=RETURN_NO, status="delivered", at=None
        )

    # then the parcel is as it was
    assert Shipment.objects.get(case=case, kind=RETURN).delivered_at is None
    assert not case.events.filter(action="carrier_event").exists()


def test_carrier_webhook_over_http(api, world, frozen):
    # given a return in transit
    case = _return_in_transit(world, frozen)
    platform, merchant = api(world.platform_token), api(world.merchant_token)
    event = {
        "carrier": "SF",
        "tracking_no": RETURN_NO,
        "status": "delivered",
        "at": sh(2026, 11, 19, 15).isoformat(),
    }

    # when a merchant posts a scan, a bad status is posted, and then the platform posts a good one
    by_merchant = merchant.post("/logistics/events", event)
    bad_status = platform.post("/logistics/events", {**event, "status": "lost"})
    frozen.at(sh(2026, 11, 19, 16))
    accepted = platform.post("/logistics/events", event)

    # then only the platform's is applied
    problem(by_merchant, 403, "forbidden")
    problem(bad_status, 422, "validation_error")
    assert platform.ok(accepted, 202) == {"shipments": 1, "cases": [case.pk]}
    seen = merchant.ok(merchant.get(f"/after-sales/{case.pk}"))
    assert when(seen["return_shipment"]["delivered_at"]) == sh(2026, 11, 19, 15)
    assert when(seen["deadline_at"]) == sh(2026, 11, 21, 15)


def test_shipping_list_puts_reships_and_exchanges_first(api, world, frozen):
    # given an unshipped ordinary order paid long ago, then an agreed reship and an exchange waiting to ship
    buyer, _ = world.buyer()
    unshipped = make_order(world, buyer, shipped=False, paid_at=sh(2026, 11, 1, 9))
    reship_order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=sh(2026, 11, 16, 10))
    exchange_order = make_order(
        world, buyer, items=[("SHIRT-M", 1, 9900), ("SHIRT-L", 1, 9900)], signed_at=sh(2026, 11, 16, 10)
    )
    reship = services.apply(
        services.Application(
            order_sn=reship_order.order_sn, type="reship", reason_code="missing_item",
            items=[services.ItemRequest("SOCKS", 1)],
        ),
        actor=buyer,
    )  # fmt: skip
    services.agree(reship.pk, actor=world.merchant)
    exchange = services.apply(
        services.Application(
            order_sn=exchange_order.order_sn, type="exchange", reason_code="size_unsuitable",
            items=[services.ItemRequest("SHIRT-M", 1)], exchange_sku="SHIRT-L",
        ),
        actor=buyer,
    )  # fmt: skip
    services.agree(exchange.pk, actor=world.merchant)
    services.ship_return(exchange.pk, actor=buyer, carrier="YTO", tracking_no="YT1234567890123")
    frozen.advance(hours=1)
    services.receive_return(exchange.pk, actor=world.merchant, accept=True)
    m = api(world.merchant_token)

    # when the merchant opens the shipping list
    rows = m.ok(m.get("/shipping"))["items"]

    # then the reship and the exchange come first, by deadline, then the ordinary order
    assert [(r["kind"], r["case_id"], r["order_sn"]) for r in rows] == [
        ("case", reship.pk, reship_order.order_sn),
        ("case", exchange.pk, exchange_order.order_sn),
        ("order", None, unshipped.order_sn),
    ]
    assert rows[0]["case_type"] == "reship"
    assert rows[0]["items"] == [{"sku": "SOCKS", "qty": 1}]
    assert rows[1]["case_type"] == "exchange"
    assert rows[1]["items"] == [{"sku": "SHIRT-L", "qty": 1}]
    assert when(rows[0]["deadline_at"]) == frozen.now() - timedelta(hours=1) + timedelta(hours=48)

    # when the reship ships
    services.ship(reship.pk, actor=world.merchant, carrier="ZTO", tracking_no=REPLACEMENT_NO)

    # then it leaves the list
    rows = m.ok(m.get("/shipping"))["items"]
    assert [r["case_id"] for r in rows] == [exchange.pk, None]
    # and another shop's list is empty
    from tests.factories import make_world

    other = api(make_world().merchant_token)
    assert other.ok(other.get("/shipping"))["items"] == []
