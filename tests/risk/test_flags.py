"""Risk flags on a case and on its buyer: each appears on a case built to trigger it and not on one that is
not; merchants and the platform see them with their reasons, buyers never do."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.cases.queries import get_case, scoped
from aftersales.cases.views import case_view, case_views
from aftersales.core import clock
from aftersales.core.actors import Actor
from aftersales.core.errors import EntryClosed
from aftersales.logistics.services import record_carrier_event
from aftersales.orders.models import Order
from aftersales.risk.models import RiskRecord
from aftersales.risk.queries import buyer_flags, case_flags, risk_flags_for, same_sku_counts
from aftersales.risk.services import reopen_entry
from tests.factories import World, make_order, make_world, sh


def _order(world: World, buyer: Actor, sku: str = "PHONE-CASE") -> Order:
    return make_order(world, buyer, items=[(sku, 1, 1990)], paid_at=sh(2026, 11, 1, 9))


def _apply(buyer: Actor, order: Order, sku: str = "PHONE-CASE", case_type: str = "refund_only") -> AfterSale:
    return services.apply(
        services.Application(order.order_sn, case_type, "damaged", [services.ItemRequest(sku, 1)]),
        actor=buyer,
    )


def _codes(flags: list[dict[str, Any]]) -> list[str]:
    return [flag["code"] for flag in flags]


# --- repeated cases for one SKU: rule 8's counts ----------------------------------------------------------


def test_repeated_sku_flag_when_buyer_applied_twice_for_the_sku_in_30_days(world, frozen):
    # given a buyer who applied for the phone case on 11-10 and again on 11-18, and another buyer's one case
    buyer, _ = world.buyer()
    frozen.at(sh(2026, 11, 10, 10))
    first = _apply(buyer, _order(world, buyer))
    frozen.at(sh(2026, 11, 18, 10))
    second = _apply(buyer, _order(world, buyer))
    other, _ = world.buyer()
    single = _apply(other, _order(world, other))

    # when the flags of the cases are read
    with translation.override("en"):
        flags = case_flags(second)

    # then the repeat is flagged with the numbers of rule 8, on both of the buyer's cases
    assert flags == [
        {
            "code": "repeated_sku",
            "message": "The buyer has applied for after-sales on PHONE-CASE 2 times in 30 days; "
            "from 3, one more application closes the order's after-sales entry.",
            "params": {"sku": "PHONE-CASE", "count": 2, "days": 30, "limit": 3},
        }
    ]
    assert _codes(case_flags(first)) == ["repeated_sku"]
    # and not on the other buyer's single case
    assert case_flags(single) == []


def test_repeated_sku_flag_ignores_cases_older_than_30_days(world, frozen):
    # given a buyer's cases for the phone case 31 days apart
    buyer, _ = world.buyer()
    frozen.at(sh(2026, 10, 18, 9))
    _apply(buyer, make_order(world, buyer, paid_at=sh(2026, 10, 15, 9)))
    frozen.at(sh(2026, 11, 18, 10))
    recent = _apply(buyer, _order(world, buyer))

    # when the flags of the recent case are read
    # then only one case falls in the 30 days: no flag
    assert case_flags(recent) == []


def test_repeated_sku_flag_counts_what_rule_8_counts(world, frozen):
    # given a buyer with three cases for the phone case within 30 days
    buyer, _ = world.buyer()
    cases = []
    for day in (10, 12, 14):
        frozen.at(sh(2026, 11, day, 10))
        cases.append(_apply(buyer, _order(world, buyer)))
    key = (world.shop.pk, buyer.buyer_id, "PHONE-CASE")

    # when the buyer applies a fourth time, rule 8 refuses it
    frozen.at(sh(2026, 11, 18, 10))
    with pytest.raises(EntryClosed):
        _apply(buyer, _order(world, buyer))

    # then the risk record, the shared count and the flag all say 3
    record = RiskRecord.objects.get(buyer_id=buyer.buyer_id)
    assert record.details["recent_cases"] == 3
    assert same_sku_counts([key], now=sh(2026, 11, 18, 10)) == {key: 3}
    assert case_flags(cases[-1])[0]["params"]["count"] == 3

    # and once the platform clears the suspicion, neither rule 8 nor the flag counts the earlier cases
    frozen.at(sh(2026, 11, 18, 11))
    reopen_entry(actor=world.platform, order_sn=record.order.order_sn, note="核实为真实质量问题")
    assert same_sku_counts([key], now=sh(2026, 11, 18, 11)) == {key: 0}
    assert case_flags(cases[-1]) == []


def test_repeated_sku_counts_one_shop_only(world, frozen):
    # given a buyer with one case for PHONE-CASE in each of two shops (two different products)
    buyer, _ = world.buyer("buyer-two-shops")
    other = make_world("other-shop")
    here = _apply(buyer, _order(world, buyer))
    _apply(buyer, _order(other, buyer))

    # when the flags of one case are read
    # then the other shop's PHONE-CASE is another SKU: no repeat
    assert case_flags(here) == []


# --- a return parcel that does not move ---------------------------------------------------------------


def _return_shipped(world: World, buyer: Actor, tracking_no: str) -> AfterSale:
    order = make_order(world, buyer, paid_at=sh(2026, 11, 1, 9), signed_at=sh(2026, 11, 15, 10))
    case = _apply(buyer, order, case_type="return_refund")
    services.agree(case.pk, actor=world.merchant)
    services.ship_return(case.pk, actor=buyer, carrier="ZTO", tracking_no=tracking_no)
    return case


def test_return_not_picked_up_flag_48_hours_after_the_number_was_entered(world, frozen):
    # given a return whose tracking number was entered on 11-18 10:00, and one picked up an hour later
    frozen.at(sh(2026, 11, 18, 10))
    stuck = _return_shipped(world, world.buyer()[0], "773300000001")
    moving = _return_shipped(world, world.buyer()[0], "773300000002")
    record_carrier_event(
        actor=world.platform,
        carrier="ZTO",
        tracking_no="773300000002",
        status="picked_up",
        at=sh(2026, 11, 18, 11),
    )

    # when the flags are read 47 hours later, then 48 hours later
    before = case_flags(stuck, now=sh(2026, 11, 20, 9))
    with translation.override("en"):
        after = case_flags(stuck, now=sh(2026, 11, 20, 10))

    # then the stuck parcel is flagged from 48 hours on, the moving one never
    assert before == []
    assert after == [
        {
            "code": "return_not_picked_up",
            "message": "The return parcel ZTO 773300000001 had no pickup scan within 48 hours after its "
            "tracking number was entered.",
            "params": {"carrier": "ZTO", "tracking_no": "773300000001", "hours": 48,
                       "entered_at": sh(2026, 11, 18, 10).isoformat()},
        }
    ]  # fmt: skip
    assert case_flags(moving, now=sh(2026, 11, 25, 10)) == []


def test_return_not_picked_up_flag_stays_when_pickup_came_late(world, frozen):
    # given a return picked up 50 hours after its number was entered
    frozen.at(sh(2026, 11, 18, 10))
    late = _return_shipped(world, world.buyer()[0], "773300000003")
    record_carrier_event(
        actor=world.platform,
        carrier="ZTO",
        tracking_no="773300000003",
        status="picked_up",
        at=sh(2026, 11, 20, 12),
    )

    # when the flags are read after the pickup
    # then the 48 hours without movement are still a fact of the case
    assert _codes(case_flags(late, now=sh(2026, 11, 21, 10))) == ["return_not_picked_up"]


# --- the buyer: refund-only share, many cases ----------------------------------------------------------


def _history_of(world: World, buyer: Actor, *, refund_only: int, orders: int) -> None:
    """``orders`` orders paid in November, the first ``refund_only`` of them with a refund-only case, the
    applications 4 days apart (different SKUs, so neither rule 8 nor the many-cases flag is involved)."""
    for i in range(orders):
        order = _order(world, buyer, sku=f"SKU-{i}")
        if i < refund_only:
            clock.freeze(sh(2026, 11, 2 + 4 * i, 10))
            _apply(buyer, order, sku=f"SKU-{i}")


def test_refund_only_share_flag_on_a_buyer_with_most_orders_refund_only(world, frozen):
    # given a buyer with 3 refund-only requests on 4 orders, and one with 2 on 4
    heavy, _ = world.buyer()
    light, _ = world.buyer()
    _history_of(world, heavy, refund_only=3, orders=4)
    _history_of(world, light, refund_only=2, orders=4)
    now = sh(2026, 11, 18, 10)

    # when their flags are read
    with translation.override("en"):
        flags = buyer_flags(heavy.buyer_id, now=now)

    # then 3 of 4 (75 %) is flagged, with its numbers; 2 of 4 is too few to say
    assert flags == [
        {
            "code": "refund_only_share",
            "message": "3 of the buyer's 4 orders in the last 90 days had a refund-only request (75%).",
            "params": {"refund_only": 3, "orders": 4, "percent": 75, "days": 90},
        }
    ]
    assert buyer_flags(light.buyer_id, now=now) == []


def test_refund_only_share_counts_orders_not_cases(world, frozen):
    # given a buyer with 6 orders in November: one with two refund-only requests (the first cancelled), two
    # with one each, one with a return-and-refund request only, and two with none
    buyer, _ = world.buyer()
    orders = [_order(world, buyer, sku=f"SKU-{i}") for i in range(6)]
    for day, i, case_type in ((2, 0, "refund_only"), (6, 1, "refund_only"), (10, 2, "refund_only"),
                              (14, 3, "return_refund")):  # fmt: skip
        clock.freeze(sh(2026, 11, day, 10))
        case = _apply(buyer, orders[i], sku=f"SKU-{i}", case_type=case_type)
        if day == 2:
            services.cancel(case.pk, actor=buyer)
            clock.freeze(sh(2026, 11, 4, 10))
            _apply(buyer, orders[0], sku="SKU-0")

    # when the buyer's flags are read
    flags = buyer_flags(buyer.buyer_id, now=sh(2026, 11, 18, 10))

    # then 3 of the 6 orders had a refund-only request: the order asked twice counts once, the return does
    # not count, and the orders without a case count among the orders
    assert _codes(flags) == ["refund_only_share"]
    assert flags[0]["params"] == {"refund_only": 3, "orders": 6, "percent": 50, "days": 90}


def test_many_cases_flag_on_a_buyer_with_three_applications_in_three_days(world, frozen):
    # given a buyer with 3 return applications between 11-16 10:00 and 11-18 09:00, and one with 3 spread
    # over a week
    busy, _ = world.buyer()
    calm, _ = world.buyer()
    for buyer, days in ((busy, [(16, 10), (17, 10), (18, 9)]), (calm, [(11, 10), (14, 10), (18, 9)])):
        for i, (day, hour) in enumerate(days):
            frozen.at(sh(2026, 11, day, hour))
            order = _order(world, buyer, sku=f"ITEM-{i}")
            _apply(buyer, order, sku=f"ITEM-{i}", case_type="return_refund")
    now = sh(2026, 11, 18, 10)

    # when their flags are read
    with translation.override("en"):
        flags = buyer_flags(busy.buyer_id, now=now)

    # then the burst is flagged, the spread is not
    assert flags == [
        {
            "code": "many_cases",
            "message": "The buyer opened 3 after-sales applications in the last 3 days.",
            "params": {"count": 3, "days": 3},
        }
    ]
    assert buyer_flags(calm.buyer_id, now=now) == []


def test_merchant_sees_buyer_flags_counted_in_their_own_shop_only(world, frozen):
    # given a buyer whose refund-only requests were all made in another shop, and one case in this shop
    buyer, _ = world.buyer("buyer-elsewhere")
    other = make_world("other-shop")
    _history_of(other, buyer, refund_only=3, orders=3)
    frozen.at(sh(2026, 11, 18, 10))
    case = _apply(buyer, _order(world, buyer, sku="LOCAL"), sku="LOCAL")

    # when this shop's merchant and the platform look at the case
    seen_by_merchant = case_view(get_case(case.pk, world.merchant), world.merchant)["risk_flags"]
    seen_by_platform = case_view(get_case(case.pk, world.platform), world.platform)["risk_flags"]

    # then only the platform, which sees every shop, sees the refund-only share (4 of 4 orders)
    assert seen_by_merchant == []
    assert _codes(seen_by_platform) == ["refund_only_share"]
    assert seen_by_platform[0]["params"] == {"refund_only": 4, "orders": 4, "percent": 100, "days": 90}


# --- who sees them -------------------------------------------------------------------------------------


def test_buyers_do_not_see_risk_flags(api, world, frozen):
    # given a buyer whose case is flagged (two applications for the phone case)
    buyer, token = world.buyer()
    frozen.at(sh(2026, 11, 10, 10))
    _apply(buyer, _order(world, buyer))
    frozen.at(sh(2026, 11, 18, 10))
    case = _apply(buyer, _order(world, buyer))
    b, m, p = api(token), api(world.merchant_token), api(world.platform_token)

    # when the buyer, the merchant and the platform read the case and the list
    as_buyer = b.ok(b.get(f"/after-sales/{case.pk}"))
    buyer_list = b.ok(b.get("/after-sales"))["items"]
    as_merchant = m.ok(m.get(f"/after-sales/{case.pk}"))
    merchant_list = m.ok(m.get("/after-sales"))["items"]
    as_platform = p.ok(p.get(f"/after-sales/{case.pk}"))

    # then the buyer sees no risk_flags at all, staff see them with their reasons in Chinese by default
    assert "risk_flags" not in as_buyer
    assert all("risk_flags" not in item for item in buyer_list)
    assert "risk_flags" not in case_view(get_case(case.pk, buyer), buyer)
    assert _codes(as_merchant["risk_flags"]) == ["repeated_sku"]
    assert _codes(as_platform["risk_flags"]) == ["repeated_sku"]
    assert {item["id"]: _codes(item["risk_flags"]) for item in merchant_list}[case.pk] == ["repeated_sku"]
    assert as_merchant["risk_flags"][0]["params"] == {"sku": "PHONE-CASE", "count": 2, "days": 30, "limit": 3}


def test_risk_flags_for_a_page_of_cases_take_at_most_four_queries(
    world, frozen, django_assert_max_num_queries
):
    # given ten cases of ten buyers, loaded as the queue loads them (with their items)
    for _ in range(10):
        buyer, _token = world.buyer()
        _apply(buyer, _order(world, buyer))
    page = list(scoped(world.merchant).order_by("id"))

    # when the flags of the whole page are read
    with django_assert_max_num_queries(4):
        flags = risk_flags_for(page, shop_id=world.shop.pk)

    # then at most one query per kind of flag served all ten cases (none for parcels the page has read)
    assert sorted(flags) == sorted(case.pk for case in page)
    assert case_views(page, world.merchant)[0]["risk_flags"] == []
