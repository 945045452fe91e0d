"""A return parcel sent a second time, after the merchant refused the first and the platform ordered the goods
back: the case keeps one return parcel, now the second one (the first is found and rewritten; a second row
would break the one-parcel-per-kind constraint)."""

from __future__ import annotations

from typing import Any

from aftersales.cases import services
from aftersales.core.actors import Actor
from aftersales.logistics.models import RETURN, Shipment
from tests.factories import World, make_sku
from tests.timers.test_worker import _application


def test_a_second_return_parcel_replaces_the_first(world: World, frozen: Any) -> None:
    # given a return the merchant refused, and the platform's decision that the goods come back again
    make_sku(world, "PHONE-CASE")
    case = _application(world, "return_refund")
    buyer = Actor(role="buyer", id="", buyer_id=case.buyer_id)
    services.agree(case.pk, actor=world.merchant)
    services.ship_return(case.pk, actor=buyer, carrier="SF", tracking_no="SF1111111111111")
    services.receive_return(case.pk, actor=world.merchant, accept=False, note="包装内是别的商品")
    services.escalate(case.pk, actor=buyer, reason="寄回的就是原商品")
    services.decide(case.pk, actor=world.platform, decision="return", note="请重新寄回")

    # when the buyer sends the goods back in a new parcel
    after = services.ship_return(case.pk, actor=buyer, carrier="YTO", tracking_no="YT2222222222222")

    # then the case waits on the merchant with one return parcel, the new one
    assert after.state == "return_in_transit"
    parcels = list(Shipment.objects.filter(case_id=case.pk, kind=RETURN))
    assert [(p.carrier, p.tracking_no) for p in parcels] == [("YTO", "YT2222222222222")]
