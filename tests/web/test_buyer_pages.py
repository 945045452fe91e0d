"""The buyer's pages: orders with their after-sales entry, applying, a case with its timeline and chat, and
every buyer action, with refusals shown in the page's language and nothing changed."""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.chat.models import Message
from aftersales.logistics.models import Shipment
from aftersales.web.forms import ShipReturnForm
from tests.factories import make_order, sh
from tests.web.conftest import Logins, page
from tests.web.support import apply_case, fields, snapshot

PHOTOS = "https://img.example.com/crack-1.jpg\n\nhttps://img.example.com/crack-2.jpg\n"


def _actions(html: str) -> list[str]:
    return re.findall(r'<details class="action[^"]*" data-action="([a-z_]+)"', html)


def test_my_orders_show_the_entry_applications_left_and_window_end(world: Any, logins: Logins) -> None:
    open_order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 16, 10))
    old_order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 1, 10))
    someone_elses = make_order(world, world.buyer()[0], signed_at=sh(2026, 11, 16, 10))

    html = page(logins.buyer.get("/buyer/"))

    assert open_order.order_sn in html and old_order.order_sn in html
    assert someone_elses.order_sn not in html
    assert "剩余 3 次申请" in html
    assert "截至 11-23 24:00" in html
    assert "已超过售后期" in html
    assert html.count("申请售后</a>") == 1


def test_applying_creates_the_case_with_amount_in_yuan_and_photos(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 16, 10))
    form = page(logins.buyer.get(f"/buyer/orders/{order.order_sn}/apply/"))
    assert "质量问题" in form and "退货退款" in form

    response = logins.buyer.post(
        f"/buyer/orders/{order.order_sn}/apply/",
        {"type": "return_refund", "reason_code": "quality_issue", "qty_0": "1", "amount": "19.90",
         "description": "边缘开裂", "evidence": PHOTOS},
    )  # fmt: skip

    case = AfterSale.objects.get(order=order)
    assert response.status_code == 302 and response["Location"] == f"/buyer/cases/{case.pk}/"
    assert (case.type, case.state, case.reason_code, case.refund_fen) == (
        "return_refund", "pending_merchant", "quality_issue", 1990,
    )  # fmt: skip
    assert case.evidence == ["https://img.example.com/crack-1.jpg", "https://img.example.com/crack-2.jpg"]
    html = page(logins.buyer.get(response["Location"]))
    assert f"售后申请 {case.pk} 已提交：待商家处理。" in html
    assert "https://img.example.com/crack-1.jpg" in html


def test_an_amount_with_three_decimals_is_refused_at_the_form(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 16, 10))

    response = logins.buyer.post(
        f"/buyer/orders/{order.order_sn}/apply/",
        {
            "type": "refund_only",
            "reason_code": "damaged",
            "qty_0": "1",
            "amount": "19.999",
            "description": "破了",
        },
    )

    assert response.status_code == 400
    html = page(response)
    assert "最多两位小数" in html
    assert 'value="19.999"' in html and "破了</textarea>" in html
    assert not AfterSale.objects.exists()


def test_an_amount_above_what_was_paid_is_refused_by_the_policy(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 16, 10))

    response = logins.buyer.post(
        f"/buyer/orders/{order.order_sn}/apply/",
        {"type": "refund_only", "reason_code": "damaged", "qty_0": "1", "amount": "99"},
    )

    assert response.status_code == 422
    html = page(response)
    assert 'data-code="amount_exceeds_refundable"' in html
    assert "您申请退款 99.00 元" in html or "99.00" in html
    assert not AfterSale.objects.exists()


def test_an_application_after_the_window_names_the_dates(world: Any, logins: Logins, frozen: Any) -> None:
    order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 15, 10))
    frozen.at(sh(2026, 11, 23, 0))

    response = logins.buyer.post(
        f"/buyer/orders/{order.order_sn}/apply/",
        {"type": "refund_only", "reason_code": "damaged", "qty_0": "1"},
    )

    html = page(response)
    assert 'data-code="window_expired"' in html
    assert "签收于 11月15日 10:00，可申请售后至 11月22日 24:00。" in html
    english = page(
        logins.buyer.post(
            f"/buyer/orders/{order.order_sn}/apply/",
            {"type": "refund_only", "reason_code": "damaged", "qty_0": "1"},
            headers={"Accept-Language": "en"},
        )
    )
    assert "Signed for on Nov 15 10:00; after-sales could be requested until Nov 22 24:00." in english


def test_no_items_chosen_is_refused(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 16, 10))

    html = page(
        logins.buyer.post(
            f"/buyer/orders/{order.order_sn}/apply/",
            {"type": "refund_only", "reason_code": "damaged", "qty_0": "0"},
        )
    )

    assert "请至少选择一件商品" in html


def test_shipping_the_return_with_freight_in_yuan(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor, "return_refund", "quality_issue")
    services.agree(case.pk, actor=world.merchant)
    case.refresh_from_db()
    html = page(logins.buyer.get(f"/buyer/cases/{case.pk}/"))
    assert _actions(html) == ["ship_return", "cancel"]
    assert "请寄回至" in html and "杭州市余杭区 1 号" in html

    bad = logins.buyer.post(
        f"/buyer/cases/{case.pk}/ship_return/",
        fields("ship_return", carrier="SF", tracking_no="SF123", freight="8.00"),
    )
    assert bad.status_code == 422
    assert 'data-code="invalid_tracking_no"' in page(bad)
    assert 'value="SF123"' in page(bad)
    assert not Shipment.objects.exists()

    logins.buyer.post(
        f"/buyer/cases/{case.pk}/ship_return/",
        fields(
            "ship_return", version=case.version, carrier="SF", tracking_no="SF1234567890123", freight="8.00"
        ),
    )

    shipment = Shipment.objects.get(case=case)
    assert (shipment.carrier, shipment.tracking_no, shipment.freight_fen) == ("SF", "SF1234567890123", 800)
    assert AfterSale.objects.get(pk=case.pk).state == "return_in_transit"


def test_confirming_the_merchants_reship_card_from_the_chat(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, items=[("CABLE", 3, 1290)], signed_at=sh(2026, 11, 17, 10))
    case = services.propose_reship(
        services.Proposal(order.order_sn, [("CABLE", 1)], "missing_item"), actor=world.merchant
    )

    html = page(logins.buyer.get(f"/buyer/orders/{order.order_sn}/"))
    assert "商家为您申请了补寄，请确认" in html
    assert f'action="/buyer/cases/{case.pk}/confirm/"' in html

    response = logins.buyer.post(
        f"/buyer/cases/{case.pk}/confirm/", {"next": f"/buyer/orders/{order.order_sn}/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"/buyer/orders/{order.order_sn}/"
    assert AfterSale.objects.get(pk=case.pk).state == "pending_merchant"
    after = page(response)
    assert f'action="/buyer/cases/{case.pk}/confirm/"' not in after  # the card's buttons are gone
    assert "买家已确认补寄申请" not in after  # the merchant's card is not shown to the buyer
    assert Message.objects.filter(case=case, card_type="reship_request_confirmed", to="merchant").exists()


def test_declining_a_reship_closes_it(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, items=[("CABLE", 3, 1290)], signed_at=sh(2026, 11, 17, 10))
    case = services.propose_reship(
        services.Proposal(order.order_sn, [("CABLE", 1)], "missing_item"), actor=world.merchant
    )

    logins.buyer.post(f"/buyer/cases/{case.pk}/decline/", fields("decline", reason="已经找到了"))

    case.refresh_from_db()
    assert (case.state, case.close_reason) == ("closed", "buyer_declined")


def test_escalating_needs_a_reason_then_goes_to_the_platform(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor)
    services.reject(case.pk, actor=world.merchant, reason="外观无损")
    html = page(logins.buyer.get(f"/buyer/cases/{case.pk}/"))
    assert _actions(html) == ["reapply", "escalate", "cancel"]
    assert "外观无损" in html
    before = snapshot(case.pk)

    empty = logins.buyer.post(f"/buyer/cases/{case.pk}/escalate/", fields("escalate", reason=""))
    assert empty.status_code == 422
    assert "请填写对方能看到的理由" in page(empty)
    assert snapshot(case.pk) == before

    logins.buyer.post(f"/buyer/cases/{case.pk}/escalate/", fields("escalate", reason="有照片为证"))
    assert AfterSale.objects.get(pk=case.pk).state == "platform_review"


def test_reapplying_changes_the_application(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor)
    services.reject(case.pk, actor=world.merchant, reason="金额不对")

    too_much = logins.buyer.post(
        f"/buyer/cases/{case.pk}/reapply/", fields("reapply", reason_code="damaged", amount="50")
    )
    assert 'data-code="amount_exceeds_refundable"' in page(too_much)

    logins.buyer.post(
        f"/buyer/cases/{case.pk}/reapply/",
        fields(
            "reapply", reason_code="quality_issue", amount="10.00", description="补充照片", evidence=PHOTOS
        ),
    )

    case.refresh_from_db()
    assert (case.state, case.reason_code, case.refund_fen) == ("pending_merchant", "quality_issue", 1000)
    assert len(case.evidence) == 2


def test_cancel_and_confirm_receipt(world: Any, logins: Logins) -> None:
    cancelled = apply_case(world, logins.buyer_actor)
    reship = apply_case(world, logins.buyer_actor, "reship", "missing_item", items=[("CABLE", 2, 1290)])
    services.agree(reship.pk, actor=world.merchant)
    services.ship(reship.pk, actor=world.merchant, carrier="ZTO", tracking_no="773312345678")

    logins.buyer.post(f"/buyer/cases/{cancelled.pk}/cancel/", {})
    html = page(logins.buyer.get(f"/buyer/cases/{reship.pk}/"))
    assert "中通快递 (ZTO)" in html and "773312345678" in html
    assert _actions(html) == ["confirm_received"]
    logins.buyer.post(f"/buyer/cases/{reship.pk}/confirm_received/", {})

    assert AfterSale.objects.get(pk=cancelled.pk).close_reason == "buyer_cancelled"
    assert AfterSale.objects.get(pk=reship.pk).state == "completed"
    assert "补寄成功" in page(logins.buyer.get(f"/buyer/cases/{reship.pk}/"))


def test_the_buyer_writes_to_the_merchant(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 16, 10))

    response = logins.buyer.post(f"/buyer/orders/{order.order_sn}/chat/", {"text": "少了一件"})
    empty = logins.buyer.post(f"/buyer/orders/{order.order_sn}/chat/", {"text": ""})

    assert response.status_code == 302
    assert Message.objects.get().text == "少了一件"
    assert empty.status_code == 422
    assert "消息长度为 1 到 2000 个字符" in page(empty)


def test_photo_links_must_be_web_addresses(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor)
    services.reject(case.pk, actor=world.merchant, reason="请补充照片")
    before = snapshot(case.pk)

    response = logins.buyer.post(
        f"/buyer/cases/{case.pk}/reapply/", fields("reapply", evidence="javascript:alert(1)")
    )

    assert response.status_code == 422
    assert "每个以 http:// 或 https:// 开头" in page(response)
    assert snapshot(case.pk) == before


def test_a_carrier_is_named_in_the_page_language(world: Any, logins: Logins) -> None:
    reship = apply_case(world, logins.buyer_actor, "reship", "missing_item", items=[("CABLE", 2, 1290)])
    services.agree(reship.pk, actor=world.merchant)
    services.ship(reship.pk, actor=world.merchant, carrier="ZTO", tracking_no="773312345678")

    chinese = page(logins.buyer.get(f"/buyer/cases/{reship.pk}/"))
    english = page(logins.buyer.get(f"/buyer/cases/{reship.pk}/", headers={"Accept-Language": "en"}))

    assert "中通快递 (ZTO)" in chinese
    assert "ZTO Express (ZTO)" in english and "中通快递" not in english
    # and in the list of carriers a return is sent with
    with translation.override("en"):
        options = str(ShipReturnForm()["carrier"])
    assert ">SF Express (SF)</option>" in options and "顺丰" not in options
