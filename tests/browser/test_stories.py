"""Acceptance stories S1 and S3 (acceptance.md) done entirely through the pages, by a merchant and a buyer in
two browser contexts. The screenshots of the workbench in the README come from here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.catalog.models import Sku
from aftersales.catalog.services import create_sku
from aftersales.chat import services as chat
from aftersales.core.actors import PLATFORM, Actor
from aftersales.logistics.services import record_carrier_event
from aftersales.timers.worker import run_due
from tests.browser.conftest import needs_chromium
from tests.factories import make_order, sh

# Transactional, as the live server must see the test's rows; sequences restart so the pictures show case 1.
pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True, reset_sequences=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHOTOS = "https://img.example.com/case-crack-1.jpg\nhttps://img.example.com/case-crack-2.jpg"


def _state(page: Page) -> str:
    return page.locator("#state").inner_text()


def _busy_shop(world: Any, frozen: Any) -> None:
    """Other buyers' cases in the same shop, applied a little later, so the queue looks like a working day."""
    made = []
    for n, (case_type, reason, sku) in enumerate(
        [("refund_only", "not_received", "CABLE"), ("return_refund", "size_unsuitable", "PHONE-CASE"),
         ("exchange", "wrong_item", "CABLE"), ("reship", "missing_item", "CABLE"),
         ("return_refund", "no_longer_needed", "CABLE")]
    ):  # fmt: skip
        frozen.at(sh(2026, 11, 18, 10, 5 * (n + 1)))
        buyer, _ = world.buyer(f"buyer-{n + 1:03d}")
        order = make_order(world, buyer, items=[(sku, 1, 1290 if sku == "CABLE" else 1990)],
                           signed_at=sh(2026, 11, 16, 10 + n), order_sn=f"PDD-S1-{n + 2:04d}")  # fmt: skip
        made.append(services.apply(
            services.Application(order.order_sn, case_type, reason, [services.ItemRequest(sku, 1)]), actor=buyer,
        ))  # fmt: skip
    services.agree(made[3].pk, actor=world.merchant)
    services.reject(made[4].pk, actor=world.merchant, reason="商品已拆封")


def test_s01_phone_case_quality_refund_through_the_pages(
    person: Any, staff: Any, world: Any, frozen: Any
) -> None:
    # given a buyer's order of one phone case (19.90 元, freight 0), signed for on 11-15 at 10:00
    frozen.at(sh(2026, 11, 12, 20))
    create_sku(actor=world.merchant, sku="PHONE-CASE", name="手机壳 iPhone 15 透明", price_fen=1990, stock=50)
    create_sku(actor=world.merchant, sku="CABLE", name="USB-C 数据线 1 米", price_fen=1290, stock=30)
    chat.save_template(
        actor=world.merchant, name="问候", body="亲，您好！订单 {order_sn} 的售后马上为您处理。"
    )
    chat.save_template(
        actor=world.merchant, name="质量问题",
        body="亲，订单 {order_sn} 的照片已看到，确实是质量问题，马上为您处理退货退款，运费由我们承担。",
    )  # fmt: skip
    order = make_order(world, _buyer(staff), signed_at=sh(2026, 11, 15, 10), order_sn="PDD-S1-0001")
    buyer, merchant = person(staff["buyer"]), person(staff["merchant"])

    # when, on day 3 after signing, the buyer applies on the buyer pages: return and refund, 质量问题, photos
    frozen.at(sh(2026, 11, 18, 10))
    buyer.goto("/buyer/")
    buyer.locator(f"tr[data-order='{order.order_sn}']").get_by_role("link", name="申请售后").click()
    buyer.select_option("#id_type", "return_refund")
    buyer.select_option("#id_reason_code", label="质量问题")
    buyer.fill("#id_qty_0", "1")
    buyer.fill("#id_description", "手机壳边缘开裂")
    buyer.fill("#id_evidence", PHOTOS)
    buyer.get_by_role("button", name="提交申请").click()
    expect(buyer.locator("#state")).to_have_text("待商家处理")
    case = AfterSale.objects.get(order=order)
    buyer.fill("#id_text", "手机壳用了三天边缘就开裂了，照片已上传。")
    buyer.get_by_role("button", name="发送").click()
    _busy_shop(world, frozen)

    # then the merchant sees it at the top of the queue, with a countdown
    frozen.at(sh(2026, 11, 18, 10, 25))
    merchant.goto("/workbench/")
    top = merchant.locator("#queue-rows tr").first
    assert top.get_attribute("data-case") == str(case.pk)
    expect(merchant.locator("#queue-rows tr")).to_have_count(5)
    expect(top.locator(".countdown")).to_have_text(re.compile(r"^1天 23:3[45]:\d\d$"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    merchant.screenshot(path=str(SCREENSHOTS / "workbench-queue.png"), full_page=True)

    # when the merchant writes to the buyer in the chat and agrees with a return address
    top.get_by_role("link", name="处理").click()
    expect(merchant.locator("#chat-log")).to_contain_text("边缘就开裂了")
    merchant.select_option("#reply-template", "质量问题")
    expect(merchant.locator("#id_text")).to_have_value(
        f"亲，订单 {order.order_sn} 的照片已看到，确实是质量问题，马上为您处理退货退款，运费由我们承担。"
    )
    merchant.get_by_role("button", name="发送").click()
    expect(merchant.locator("#chat-log")).to_contain_text("确实是质量问题")
    frozen.at(sh(2026, 11, 18, 10, 30))
    expect(merchant.locator("#id_agree-address")).to_have_value("杭州市余杭区 1 号")
    merchant.fill("#id_agree-name", "售后部 王五")
    merchant.fill("#id_agree-address", "杭州市余杭区仓前街道 1 号 3 楼")
    merchant.get_by_role("button", name="确认同意").click()
    expect(merchant.locator("#state")).to_have_text("已同意退货，待买家退货")

    # when the buyer ships it back with a valid SF number and 8.00 元 of return freight
    frozen.at(sh(2026, 11, 18, 16))
    buyer.goto(f"/buyer/cases/{case.pk}/")
    expect(buyer.locator("#chat-log")).to_contain_text("确实是质量问题")
    expect(buyer.locator("#chat-log")).to_contain_text("杭州市余杭区仓前街道 1 号 3 楼")
    buyer.select_option("#id_ship_return-carrier", "SF")
    buyer.fill("#id_ship_return-tracking_no", "SF1234567890123")
    buyer.fill("#id_ship_return-freight", "8.00")
    buyer.get_by_role("button", name="提交退货物流").click()
    expect(buyer.locator("#state")).to_have_text("买家已退货，待商家收货")

    # when the merchant confirms receipt
    frozen.at(sh(2026, 11, 20, 9, 30))
    merchant.goto(f"/workbench/cases/{case.pk}/")
    merchant.screenshot(path=str(SCREENSHOTS / "workbench-case.png"), full_page=True)
    merchant.get_by_role("button", name="提交验货结果").click()
    expect(merchant.locator("#state")).to_have_text("退款中")

    # and the worker settles the refund
    frozen.at(sh(2026, 11, 20, 9, 31))
    run_due()

    # then the case shows 退款成功 with 27.90 元 (the merchant bears the return freight), on both sides
    buyer.goto(f"/buyer/cases/{case.pk}/")
    expect(buyer.locator("#state")).to_have_text("退款成功")
    expect(buyer.locator("#refund")).to_contain_text("27.90 元")
    expect(buyer.locator("#chat-log")).to_contain_text("请为本次售后服务评分")
    merchant.reload()
    expect(merchant.locator("#state")).to_have_text("退款成功")
    steps = merchant.locator("#timeline li")
    expect(steps).to_have_count(5)
    assert [steps.nth(i).get_attribute("data-action") for i in range(5)] == [
        "apply", "agree", "ship_return", "receive_return:accept", "settle",
    ]  # fmt: skip
    expect(steps.nth(1)).to_contain_text("m-xiaowang")


def _buyer(staff: Any) -> Actor:
    from aftersales.accounts.models import Membership

    membership = Membership.objects.select_related("buyer").get(user__username=staff["buyer"])
    assert membership.buyer is not None
    return Actor(role="buyer", id=membership.buyer.external_id, buyer_id=membership.buyer_id)


def test_s03_merchant_initiated_reship_through_the_pages(
    person: Any, staff: Any, world: Any, frozen: Any
) -> None:
    # given an order of 3 USB cables, signed for, that arrived with 1 missing
    create_sku(actor=world.merchant, sku="CABLE", name="USB-C 数据线 1 米", price_fen=1290, stock=10)
    order = make_order(world, _buyer(staff), items=[("CABLE", 3, 1290)], signed_at=sh(2026, 11, 17, 10))
    buyer, merchant = person(staff["buyer"]), person(staff["merchant"])
    buyer.goto(f"/buyer/orders/{order.order_sn}/")
    buyer.fill("#id_text", "买了 3 根，只收到 2 根。")
    buyer.get_by_role("button", name="发送").click()

    # when the merchant, in the chat, proposes a reship of 1 item with reason 少件 and the buyer's address
    merchant.goto("/workbench/chats/")
    merchant.get_by_role("link", name=order.order_sn).click()
    expect(merchant.locator("#chat-log")).to_contain_text("只收到 2 根")
    merchant.get_by_text("退款", exact=True).click()
    merchant.fill("#id_qty_0", "1")
    merchant.select_option("#id_reason_code", "missing_item")
    merchant.get_by_role("button", name="提交补寄申请").click()
    expect(merchant.locator(".messages")).to_contain_text("等待买家在聊天中确认")
    case = AfterSale.objects.get(order=order)

    # then the buyer gets a reship_request card, and confirms it
    buyer.reload()
    card = buyer.locator("[data-card=reship_request]")
    expect(card).to_contain_text("商家为您申请了补寄")
    card.get_by_role("button", name="确认补寄").click()
    expect(buyer.locator(".messages")).to_contain_text("待商家处理")

    # when the merchant follows the confirmed card (去处理) and agrees
    merchant.reload()
    merchant.locator("[data-card=reship_request_confirmed]").get_by_role("link", name="去处理").click()
    expect(merchant.locator("#state")).to_have_text("待商家处理")
    available = Sku.objects.get(shop=world.shop, sku="CABLE").available
    merchant.get_by_role("button", name="确认同意").click()
    expect(merchant.locator("#state")).to_have_text("待商家发货")
    assert Sku.objects.get(shop=world.shop, sku="CABLE").available == available - 1
    buyer.reload()
    expect(buyer.locator("[data-card=reship_in_progress]")).to_contain_text("您的订单正在补寄中")

    # when the merchant ships with ZTO and a valid number
    expect(merchant.locator("#ship-to")).to_contain_text("13812345678")
    merchant.select_option("#id_ship-carrier", "ZTO")
    merchant.fill("#id_ship-tracking_no", "773312345678")
    merchant.get_by_role("button", name="确认发货").click()
    expect(merchant.locator("#state")).to_have_text("已发出，待买家确认收货")

    # then the buyer sees the carrier and the number in the chat; the carrier reports delivery; the buyer confirms
    record_carrier_event(
        actor=Actor(role=PLATFORM, id="carrier-webhook"), carrier="ZTO", tracking_no="773312345678",
        status="delivered", at=None,
    )  # fmt: skip
    buyer.goto(f"/buyer/cases/{case.pk}/")
    expect(buyer.locator("[data-card=tracking_number]")).to_contain_text("中通快递 (ZTO) · 773312345678")
    buyer.get_by_role("button", name="确认收货").click()
    expect(buyer.locator("#state")).to_have_text("补寄成功")

    # and the buyer's applications on the order are untouched
    buyer.goto("/buyer/")
    expect(buyer.locator(f"tr[data-order='{order.order_sn}']")).to_contain_text("剩余 3 次申请")
