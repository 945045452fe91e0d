"""The merchant's case page and its forms: facts with the buyer masked, the timeline, exactly the buttons
``allowed_actions`` gives, each action through its service, refusals shown with nothing changed, the chat
with reply templates, and a reship proposed from an order's chat."""

from __future__ import annotations

import re
from typing import Any

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.catalog.models import Sku
from aftersales.chat import services as chat
from aftersales.chat.models import Message
from tests.factories import RETURN_ADDRESS, make_order, sh
from tests.web.conftest import Logins, page
from tests.web.support import apply_case, fields, snapshot


def _actions(html: str) -> list[str]:
    return re.findall(r'<details class="action[^"]*" data-action="([a-z_]+)"', html)


def test_case_page_shows_the_facts_with_the_buyer_masked(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor, "return_refund", "quality_issue", description="边缘开裂")

    html = page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))

    assert "退货退款" in html and "质量问题" in html and "待商家处理" in html
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "上海市浦东新****" in html
    assert "世纪大道" not in html
    assert "签收时间" in html and "2026-11-16 10:00" in html
    assert "售后截止" in html and "2026-11-23 24:00" in html
    assert "剩余申请次数" in html and "2 / 3" in html
    assert "退货运费承担方" in html and "商家责任" in html
    assert "买家申请售后" in html and "buyer-zhangsan" in html
    assert "边缘开裂" in html


def test_the_buttons_are_exactly_the_allowed_actions(world: Any, logins: Logins) -> None:
    pending = apply_case(world, None, "return_refund", "quality_issue")
    agreed = apply_case(world, None, "return_refund", "quality_issue")
    services.agree(agreed.pk, actor=world.merchant)
    reship = apply_case(world, None, "reship", "missing_item")
    services.agree(reship.pk, actor=world.merchant)

    assert _actions(page(logins.merchant.get(f"/workbench/cases/{pending.pk}/"))) == ["agree", "reject"]
    assert _actions(page(logins.merchant.get(f"/workbench/cases/{agreed.pk}/"))) == []
    assert _actions(page(logins.merchant.get(f"/workbench/cases/{reship.pk}/"))) == ["ship", "refund_instead"]


def test_agree_offers_the_shops_return_address_and_uses_the_one_given(world: Any, logins: Logins) -> None:
    case = apply_case(world, None, "return_refund", "quality_issue")
    html = page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))
    assert f'value="{world.shop.default_return_address["address"]}"' in html

    response = logins.merchant.post(
        f"/workbench/cases/{case.pk}/agree/",
        fields(
            "agree", version=case.version, name="售后部 王五", phone="13800002222", address="杭州市 2 号仓"
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/workbench/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.state == "awaiting_return"
    assert case.return_address == {"name": "售后部 王五", "phone": "13800002222", "address": "杭州市 2 号仓"}
    html = page(logins.merchant.get(response["Location"]))
    assert "同意退货：操作成功。售后单当前状态：已同意退货，待买家退货。" in html


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(world: Any, logins: Logins) -> None:
    case = apply_case(world, None, "return_refund", "quality_issue")
    before = snapshot(case.pk)

    response = logins.merchant.post(
        f"/workbench/cases/{case.pk}/reject/", fields("reject", version=case.version, reason="  ")
    )

    assert response.status_code == 422
    html = page(response)
    assert 'data-code="validation_error"' in html
    assert "请填写对方能看到的理由。" in html
    assert '<details class="action" data-action="reject" open>' in html
    assert snapshot(case.pk) == before


def test_an_invalid_tracking_number_is_refused_and_what_was_typed_stays(world: Any, logins: Logins) -> None:
    case = apply_case(world, None, "reship", "missing_item")
    services.agree(case.pk, actor=world.merchant)
    case.refresh_from_db()
    before = snapshot(case.pk)

    response = logins.merchant.post(
        f"/workbench/cases/{case.pk}/ship/",
        fields("ship", version=case.version, carrier="ZTO", tracking_no="ZT-123"),
    )

    assert response.status_code == 422
    html = page(response)
    assert 'data-code="invalid_tracking_no"' in html
    assert "运单号“ZT-123”不符合 ZTO 的格式（12 or 15 digits）。" in html
    assert 'value="ZT-123"' in html
    assert '<option value="ZTO" selected>' in html
    assert snapshot(case.pk) == before


def test_an_unknown_carrier_is_refused(world: Any, logins: Logins) -> None:
    case = apply_case(world, None, "reship", "missing_item")
    services.agree(case.pk, actor=world.merchant)

    html = page(
        logins.merchant.post(
            f"/workbench/cases/{case.pk}/ship/", fields("ship", carrier="XYZ", tracking_no="1")
        )
    )

    assert "“XYZ”不是可识别的快递公司编码" in html


def test_an_action_the_state_does_not_allow_shows_the_states_answer(world: Any, logins: Logins) -> None:
    case = apply_case(world)
    before = snapshot(case.pk)

    response = logins.merchant.post(
        f"/workbench/cases/{case.pk}/ship/", fields("ship", carrier="ZTO", tracking_no="773312345678")
    )

    assert response.status_code == 409
    html = page(response)
    assert 'data-code="action_not_allowed"' in html
    assert "不可执行" in html
    assert snapshot(case.pk) == before


def test_a_stale_page_is_refused(world: Any, logins: Logins) -> None:
    case = apply_case(world)
    old_version = case.version
    services.reject(case.pk, actor=world.merchant, reason="先沟通")
    services.reapply(case.pk, actor=_owner(case), description="补充说明")
    before = snapshot(case.pk)

    response = logins.merchant.post(
        f"/workbench/cases/{case.pk}/agree/", fields("agree", version=old_version)
    )

    assert response.status_code == 409
    assert 'data-code="stale_version"' in page(response)
    assert snapshot(case.pk) == before


def _owner(case: AfterSale) -> Any:
    from aftersales.core.actors import BUYER, Actor

    return Actor(role=BUYER, id=case.buyer.external_id, buyer_id=case.buyer_id)


def test_receiving_the_return_starts_the_refund(world: Any, logins: Logins) -> None:
    buyer, _ = world.buyer()
    case = apply_case(world, buyer, "return_refund", "quality_issue")
    services.agree(case.pk, actor=world.merchant)
    services.ship_return(case.pk, actor=buyer, carrier="SF", tracking_no="SF1234567890123", freight_fen=800)
    case.refresh_from_db()
    assert _actions(page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))) == ["receive_return"]

    refused = logins.merchant.post(
        f"/workbench/cases/{case.pk}/receive_return/", fields("receive_return", outcome="refuse", note="")
    )
    assert refused.status_code == 422
    assert "请填写说明" in page(refused)

    logins.merchant.post(
        f"/workbench/cases/{case.pk}/receive_return/",
        fields("receive_return", version=case.version, outcome="accept", note="完好", resellable="on"),
    )

    case.refresh_from_db()
    assert case.state == "refunding"
    html = page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))
    assert "27.90 元" in html
    assert Sku.objects.get(shop=world.shop, sku="PHONE-CASE").stock == 11


def test_refund_instead_when_the_goods_cannot_be_supplied(world: Any, logins: Logins) -> None:
    case = apply_case(world, None, "reship", "missing_item")
    services.agree(case.pk, actor=world.merchant)

    logins.merchant.post(f"/workbench/cases/{case.pk}/refund_instead/", fields("refund_instead", note="断货"))

    assert AfterSale.objects.get(pk=case.pk).state == "refunding"


def test_an_unknown_action_is_not_found(world: Any, logins: Logins) -> None:
    case = apply_case(world)

    assert logins.merchant.post(f"/workbench/cases/{case.pk}/explode/", {}).status_code == 404
    assert logins.merchant.get(f"/workbench/cases/{case.pk}/agree/").status_code == 405


def test_buyer_text_is_escaped_everywhere(world: Any, logins: Logins) -> None:
    attack = '<script>alert("x")</script>'
    case = apply_case(world, logins.buyer_actor, description=attack)
    chat.post_message(actor=logins.buyer_actor, order_sn=case.order_sn, text=attack)

    pages = [
        page(logins.merchant.get(f"/workbench/cases/{case.pk}/")),
        page(logins.merchant.get(f"/workbench/orders/{case.order_sn}/")),
        page(logins.merchant.get(f"/workbench/orders/{case.order_sn}/chat/")),
        page(logins.buyer.get(f"/buyer/cases/{case.pk}/")),
        page(logins.platform.get(f"/platform/cases/{case.pk}/")),
    ]

    for html in pages:
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_chat_sends_a_message_and_fills_reply_templates(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor, "return_refund", "quality_issue")
    chat.save_template(
        actor=world.merchant, name="问候", body="亲，订单 {order_sn} 的售后（{case_id}）马上处理"
    )
    html = page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))
    assert f'data-text="亲，订单 {case.order_sn} 的售后（{case.pk}）马上处理"' in html

    sent = logins.merchant.post(
        f"/workbench/orders/{case.order_sn}/chat/", {"text": "亲，请拍一张照片", "case": case.pk}
    )
    by_template = logins.merchant.post(
        f"/workbench/orders/{case.order_sn}/chat/", {"text": "", "template": "问候"}
    )
    empty = logins.merchant.post(f"/workbench/orders/{case.order_sn}/chat/", {"text": " ", "case": case.pk})

    assert sent.status_code == 302 and sent["Location"] == f"/workbench/cases/{case.pk}/#chat"
    assert by_template.status_code == 302
    texts = list(Message.objects.filter(card_type="").order_by("id").values_list("text", flat=True))
    # an order's chat window has no case to name, so that placeholder stays visible
    assert texts == ["亲，请拍一张照片", f"亲，订单 {case.order_sn} 的售后（{{case_id}}）马上处理"]
    assert empty.status_code == 422
    assert "消息长度为 1 到 2000 个字符" in page(empty)
    log = page(logins.merchant.get(f"/workbench/orders/{case.order_sn}/chat/"))
    assert "亲，请拍一张照片" in log and "<html" not in log


def test_a_reship_proposed_from_the_chat_waits_on_the_buyer(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, items=[("CABLE", 3, 1290)], signed_at=sh(2026, 11, 17, 10))
    html = page(logins.merchant.get(f"/workbench/orders/{order.order_sn}/"))
    assert "提交补寄申请" in html

    nothing = logins.merchant.post(
        f"/workbench/orders/{order.order_sn}/reship/",
        {"qty_0": "0", "reason_code": "missing_item", "address_mode": "order"},
    )
    assert nothing.status_code == 422
    assert "请至少选择一件商品" in page(nothing)
    assert not AfterSale.objects.filter(order=order).exists()

    done = logins.merchant.post(
        f"/workbench/orders/{order.order_sn}/reship/",
        {"qty_0": "1", "reason_code": "missing_item", "address_mode": "order", "description": "少发 1 根"},
    )

    assert done.status_code == 302
    case = AfterSale.objects.get(order=order)
    assert (case.type, case.state, case.initiated_by) == ("reship", "awaiting_buyer_confirmation", "merchant")
    card = Message.objects.get(case=case, card_type="reship_request")
    assert card.to == "buyer"
    html = page(logins.merchant.get(done["Location"]))
    assert f"补寄申请 {case.pk} 已提交" in html


def test_a_reship_to_another_address_needs_all_its_parts(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, items=[("CABLE", 3, 1290)], signed_at=sh(2026, 11, 17, 10))

    response = logins.merchant.post(
        f"/workbench/orders/{order.order_sn}/reship/",
        {
            "qty_0": "1",
            "reason_code": "missing_item",
            "address_mode": "other",
            "name": "李四",
            "phone": "",
            "address": "",
        },
    )

    assert response.status_code == 422
    html = page(response)
    assert "地址需要填写收件人、手机号和详细地址" in html
    assert 'value="李四"' in html


def test_the_ship_form_shows_the_full_address_the_merchant_ships_to(world: Any, logins: Logins) -> None:
    case = apply_case(world, None, "reship", "missing_item")
    before = page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))
    services.agree(case.pk, actor=world.merchant)

    after = page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))

    assert "13812345678" not in before
    assert 'id="ship-to"' in after
    assert "张三 13812345678 上海市浦东新区世纪大道 100 号" in after


def test_the_return_address_default_is_only_for_return_types(world: Any, logins: Logins) -> None:
    case = apply_case(world)
    html = page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))

    assert RETURN_ADDRESS["address"] not in html
    assert "同意后立即发起退款 19.90 元" in html
