"""Bad input on the goods paths (reship, exchange, parcels), through the HTTP API: each is refused with its code,
and afterwards the case, the stock, the chat and the timeline are exactly as before."""

import pytest

from aftersales.cases import services
from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.catalog.models import RestockAlert, Sku, StockReservation
from aftersales.chat.models import Message
from aftersales.logistics.models import Shipment
from aftersales.timers.models import Timer
from tests.acceptance.support import problem
from tests.factories import make_order, make_sku, make_world, sh

SIGNED = sh(2026, 11, 16, 10)


def _everything() -> dict:
    """Every row a goods command could touch."""
    return {
        "cases": list(AfterSale.objects.order_by("id").values()),
        "events": list(CaseEvent.objects.order_by("id").values()),
        "messages": list(Message.objects.order_by("id").values()),
        "skus": list(Sku.objects.order_by("id").values()),
        "reservations": list(StockReservation.objects.order_by("id").values()),
        "shipments": list(Shipment.objects.order_by("id").values()),
        "timers": list(Timer.objects.order_by("id").values()),
        "alerts": list(RestockAlert.objects.order_by("id").values()),
    }


def _agreed_reship(world, buyer) -> AfterSale:
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    case = services.apply(
        services.Application(
            order_sn=order.order_sn,
            type="reship",
            reason_code="missing_item",
            items=[services.ItemRequest("SOCKS", 1)],
        ),
        actor=buyer,
    )
    return services.agree(case.pk, actor=world.merchant)


@pytest.mark.parametrize(
    ("shipment", "code"),
    [
        ({"carrier": "DHL", "tracking_no": "773398765432"}, "unknown_carrier"),
        ({"carrier": "zto", "tracking_no": "773398765432"}, "unknown_carrier"),
        ({"carrier": "ZTO", "tracking_no": "77339876543"}, "invalid_tracking_no"),
        ({"carrier": "SF", "tracking_no": "773398765432"}, "invalid_tracking_no"),
        ({"carrier": "EMS", "tracking_no": "EA12345678CN"}, "invalid_tracking_no"),
    ],
    ids=["unknown_carrier", "lower_case_carrier", "short_number", "other_carriers_number", "bad_ems"],
)
def test_ship_with_bad_carrier_or_number_is_refused(api, world, frozen, shipment, code):
    # given an agreed reship waiting to ship, with one unit reserved
    buyer, _ = world.buyer()
    case = _agreed_reship(world, buyer)
    before = _everything()

    # when the merchant ships it with a bad carrier or number
    answer = api(world.merchant_token).post(f"/after-sales/{case.pk}/ship", shipment)

    # then it is refused with its code, and nothing changed: no parcel, no card, stock still reserved
    body = problem(answer, 422, code)
    assert body["carrier"] == shipment["carrier"]
    assert _everything() == before


def test_ship_return_with_bad_number_is_refused(api, world, frozen):
    # given an agreed exchange waiting for the buyer's parcel
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, items=[("SHIRT-M", 1, 9900), ("SHIRT-L", 1, 9900)], signed_at=SIGNED)
    case = services.apply(
        services.Application(
            order_sn=order.order_sn, type="exchange", reason_code="size_unsuitable",
            items=[services.ItemRequest("SHIRT-M", 1)], exchange_sku="SHIRT-L",
        ),
        actor=buyer,
    )  # fmt: skip
    services.agree(case.pk, actor=world.merchant)
    before = _everything()
    b = api(buyer_token)

    # when the buyer ships the return with an unknown carrier, then with a bad number
    unknown = b.post(f"/after-sales/{case.pk}/ship_return", {"carrier": "UPS", "tracking_no": "1Z999"})
    invalid = b.post(f"/after-sales/{case.pk}/ship_return", {"carrier": "YTO", "tracking_no": "YT123"})

    # then both are refused and nothing changed
    problem(unknown, 422, "unknown_carrier")
    problem(invalid, 422, "invalid_tracking_no")
    assert _everything() == before


@pytest.mark.parametrize(
    ("exchange_sku", "owner"),
    [("SHIRT-XXXL", "nobody"), ("SHIRT-XL", "other_shop")],
    ids=["unknown_sku", "other_shops_sku"],
)
def test_exchange_to_a_sku_the_shop_does_not_have_is_refused(api, world, frozen, exchange_sku, owner):
    # given a signed order of a size M shirt; another shop sells a size XL
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, items=[("SHIRT-M", 1, 9900)], signed_at=SIGNED)
    if owner == "other_shop":
        make_sku(make_world(), exchange_sku, stock=5)
    before = _everything()

    # when the buyer asks to exchange it for a SKU this shop does not have
    answer = api(buyer_token).post(
        "/after-sales",
        {
            "order_sn": order.order_sn,
            "type": "exchange",
            "reason_code": "size_unsuitable",
            "items": [{"sku": "SHIRT-M", "qty": 1}],
            "exchange_sku": exchange_sku,
        },
    )

    # then the application is refused with validation_error, and no case exists
    body = problem(answer, 422, "validation_error")
    assert body["field"] == "exchange_sku"
    assert _everything() == before
    order_view = api(buyer_token).ok(api(buyer_token).get(f"/orders/{order.order_sn}"))
    assert order_view["after_sales_entry"]["applications_used"] == 0


@pytest.mark.parametrize("qty", [4, 0, -1], ids=["above_ordered", "zero", "negative"])
def test_reship_proposal_with_a_bad_quantity_is_refused(api, world, frozen, qty):
    # given an order of 3 pairs of socks
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    before = _everything()

    # when the merchant proposes to reship more than ordered, or none
    answer = api(world.merchant_token).post(
        "/after-sales",
        {"order_sn": order.order_sn, "type": "reship", "reason_code": "missing_item",
         "items": [{"sku": "SOCKS", "qty": qty}]},
    )  # fmt: skip

    # then it is refused with validation_error and nothing is created
    problem(answer, 422, "validation_error")
    assert _everything() == before


@pytest.mark.parametrize(
    "items",
    [
        [{"sku": "SOCKS", "qty": 2}, {"sku": "SOCKS", "qty": 2}],
        [{"sku": "HAT", "qty": 1}],
        [],
    ],
    ids=["same_sku_twice_above_ordered", "sku_not_in_order", "no_items"],
)
def test_reship_proposal_with_bad_items_is_refused(api, world, frozen, items):
    # given an order of 3 pairs of socks; the shop also sells hats
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    make_sku(world, "HAT")
    before = _everything()

    # when the merchant proposes a reship of items the order does not have
    answer = api(world.merchant_token).post(
        "/after-sales",
        {"order_sn": order.order_sn, "type": "reship", "reason_code": "missing_item", "items": items},
    )

    # then it is refused with validation_error and nothing is created
    problem(answer, 422, "validation_error")
    assert _everything() == before


@pytest.mark.parametrize("qty", [4, 0], ids=["above_ordered", "zero"])
@pytest.mark.parametrize("case_type", ["reship", "exchange"])
def test_buyer_application_with_a_bad_quantity_is_refused(api, world, frozen, qty, case_type):
    # given an order of 3 pairs of socks
    buyer, buyer_token = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    before = _everything()

    # when the buyer applies for more than ordered, or none
    answer = api(buyer_token).post(
        "/after-sales",
        {"order_sn": order.order_sn, "type": case_type, "reason_code": "missing_item",
         "items": [{"sku": "SOCKS", "qty": qty}]},
    )  # fmt: skip

    # then it is refused with validation_error and nothing is created
    problem(answer, 422, "validation_error")
    assert _everything() == before


def test_reship_proposal_with_an_unknown_reason_or_a_partial_address_is_refused(api, world, frozen):
    # given an order of 3 pairs of socks
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    m = api(world.merchant_token)
    proposal = {"order_sn": order.order_sn, "type": "reship", "reason_code": "missing_item",
                "items": [{"sku": "SOCKS", "qty": 1}]}  # fmt: skip
    before = _everything()

    # when the merchant proposes with an unknown reason, a blank address line, or another type
    answers = [
        m.post("/after-sales", {**proposal, "reason_code": "felt_like_it"}),
        m.post(
            "/after-sales", {**proposal, "address": {"name": "张三", "phone": "13812345678", "address": " "}}
        ),
        m.post("/after-sales", {**proposal, "type": "refund_only"}),
    ]

    # then each is refused with validation_error and nothing is created
    for answer in answers:
        problem(answer, 422, "validation_error")
    assert _everything() == before


def test_reship_proposal_on_another_shops_order_is_not_found(api, world, frozen):
    # given an order of another shop
    other = make_world()
    buyer, _ = other.buyer()
    order = make_order(other, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    before = _everything()

    # when this shop's merchant proposes a reship on it, or on an order that does not exist
    m = api(world.merchant_token)
    proposal = {"type": "reship", "reason_code": "missing_item", "items": [{"sku": "SOCKS", "qty": 1}]}
    theirs = m.post("/after-sales", {**proposal, "order_sn": order.order_sn})
    nobodys = m.post("/after-sales", {**proposal, "order_sn": "NO-SUCH-ORDER"})

    # then the order does not exist for them, and nothing is created
    problem(theirs, 404, "not_found")
    problem(nobodys, 404, "not_found")
    assert _everything() == before


def test_reship_proposal_while_a_case_is_open_on_the_item_is_refused(api, world, frozen):
    # given a buyer's open reship application on the socks
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    open_case = services.apply(
        services.Application(
            order_sn=order.order_sn, type="reship", reason_code="missing_item",
            items=[services.ItemRequest("SOCKS", 1)],
        ),
        actor=buyer,
    )  # fmt: skip
    before = _everything()

    # when the merchant proposes another reship of the same item
    answer = api(world.merchant_token).post(
        "/after-sales",
        {"order_sn": order.order_sn, "type": "reship", "reason_code": "missing_item",
         "items": [{"sku": "SOCKS", "qty": 1}]},
    )  # fmt: skip

    # then it is refused, naming the open case
    assert problem(answer, 422, "case_already_open")["case_id"] == open_case.pk
    assert _everything() == before


@pytest.mark.parametrize("action", ["confirm", "decline", "cancel"])
def test_buyer_answering_someone_elses_proposal_is_not_found(api, world, frozen, action):
    # given the merchant's reship proposal to one buyer
    buyer, _ = world.buyer()
    _, stranger_token = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    case = services.propose_reship(
        services.Proposal(order_sn=order.order_sn, items=[("SOCKS", 1)], reason_code="missing_item"),
        actor=world.merchant,
    )
    before = _everything()

    # when another buyer answers it
    answer = api(stranger_token).post(f"/after-sales/{case.pk}/{action}")

    # then the case does not exist for them, and it still waits on its own buyer
    problem(answer, 404, "not_found")
    assert _everything() == before


def test_merchant_cannot_confirm_their_own_proposal(api, world, frozen):
    # given the merchant's reship proposal
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[("SOCKS", 3, 990)], signed_at=SIGNED)
    case = services.propose_reship(
        services.Proposal(order_sn=order.order_sn, items=[("SOCKS", 1)], reason_code="missing_item"),
        actor=world.merchant,
    )
    before = _everything()

    # when the merchant tries to confirm it for the buyer
    answer = api(world.merchant_token).post(f"/after-sales/{case.pk}/confirm")

    # then the role is refused and nothing changed
    problem(answer, 403, "forbidden")
    assert _everything() == before


def test_goods_actions_in_the_wrong_state_are_refused(api, world, frozen):
    # given an agreed reship waiting to ship
    buyer, buyer_token = world.buyer()
    case = _agreed_reship(world, buyer)
    before = _everything()
    m, b = api(world.merchant_token), api(buyer_token)

    # when the merchant agrees again, the buyer confirms receipt before shipping, and the buyer confirms
    answers = [
        m.post(f"/after-sales/{case.pk}/agree"),
        b.post(f"/after-sales/{case.pk}/confirm_received"),
        b.post(f"/after-sales/{case.pk}/confirm"),
    ]

    # then each is refused, naming the state and what is allowed now
    for answer in answers:
        body = problem(answer, 409, "action_not_allowed")
        assert body["state"] == "awaiting_shipment"
    assert _everything() == before


def test_ship_with_a_stale_version_is_refused(api, world, frozen):
    # given an agreed reship, and the version before the agreement
    buyer, _ = world.buyer()
    case = _agreed_reship(world, buyer)
    before = _everything()

    # when the merchant ships it with the old version
    answer = api(world.merchant_token).post(
        f"/after-sales/{case.pk}/ship",
        {"carrier": "ZTO", "tracking_no": "773398765432"},
        version=case.version - 1,
    )

    # then it is refused and nothing changed
    problem(answer, 409, "stale_version")
    assert _everything() == before
