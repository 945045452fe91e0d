"""The platform console: escalated cases with both sides' evidence and the decision, abuse records with the
reopening of an order's after-sales entry."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.chat import services as chat
from aftersales.core.errors import EntryClosed
from aftersales.orders.models import Order
from aftersales.risk.models import RiskRecord
from tests.factories import make_order, sh
from tests.web.conftest import Logins, page
from tests.web.support import apply_case, fields, snapshot


def _escalated(world: Any, logins: Logins) -> AfterSale:
    case = apply_case(world, logins.buyer_actor, description="收到时外盒已破")
    chat.post_message(actor=logins.buyer_actor, order_sn=case.order_sn, text="盒子压坏了")
    chat.post_message(actor=world.merchant, order_sn=case.order_sn, text="商品本身完好")
    services.reject(case.pk, actor=world.merchant, reason="外观无损")
    return services.escalate(case.pk, actor=logins.buyer_actor, reason="有照片为证")


def test_escalated_cases_are_listed_with_their_countdown(world: Any, logins: Logins) -> None:
    case = _escalated(world, logins)
    other = apply_case(world)

    html = page(logins.platform.get("/platform/"))

    assert f'data-case="{case.pk}"' in html
    assert f'data-case="{other.pk}"' not in html
    assert re.search(rf'data-case="{case.pk}".*?class="countdown"', html, re.S)


def test_the_case_shows_both_sides_and_the_decision(world: Any, logins: Logins) -> None:
    case = _escalated(world, logins)

    html = page(logins.platform.get(f"/platform/cases/{case.pk}/"))

    assert "收到时外盒已破" in html  # the buyer's application
    assert "外观无损" in html  # the merchant's rejection
    assert "有照片为证" in html  # the buyer's reason to escalate
    assert "盒子压坏了" in html and "商品本身完好" in html  # the chat of both sides
    assert "售后申请被驳回" in html  # the cards are part of the record
    assert "138****5678" in html and "13812345678" not in html
    assert re.findall(r'<details class="action[^"]*" data-action="([a-z_]+)"', html) == ["decide"]
    assert 'value="refund"' in html and 'value="reject"' in html and 'value="return"' in html
    assert 'value="reship"' not in html  # no reship for a refund-only case


def test_deciding_needs_a_note_and_then_refunds(world: Any, logins: Logins) -> None:
    case = _escalated(world, logins)
    before = snapshot(case.pk)

    no_note = logins.platform.post(
        f"/platform/cases/{case.pk}/decide/", fields("decide", decision="refund", note="")
    )
    assert no_note.status_code == 422
    assert "请填写说明" in page(no_note)
    assert snapshot(case.pk) == before

    wrong = logins.platform.post(
        f"/platform/cases/{case.pk}/decide/", fields("decide", decision="reship", note="补寄")
    )
    assert 'data-code="action_not_allowed"' in page(wrong)
    assert snapshot(case.pk) == before

    done = logins.platform.post(
        f"/platform/cases/{case.pk}/decide/", fields("decide", decision="refund", note="外盒破损属实")
    )

    assert done.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.merchant_liable) == ("refunding", True)
    assert "平台判定：退款" in page(logins.platform.get(done["Location"]))


def test_the_platform_may_step_in_on_an_open_case(world: Any, logins: Logins) -> None:
    case = apply_case(world)
    html = page(logins.platform.get(f"/platform/cases/{case.pk}/"))
    assert re.findall(r'<details class="action[^"]*" data-action="([a-z_]+)"', html) == ["escalate"]

    logins.platform.post(f"/platform/cases/{case.pk}/escalate/", fields("escalate", note="买家投诉"))

    assert AfterSale.objects.get(pk=case.pk).state == "platform_review"


def _abuser(world: Any) -> Order:
    buyer, _ = world.buyer("buyer-abuse")
    last = None
    for day in range(3):
        case = apply_case(world, buyer, signed_at=sh(2026, 11, 14 + day, 10))
        services.cancel(case.pk, actor=buyer)
    last = make_order(world, buyer, signed_at=sh(2026, 11, 17, 10))
    with contextlib.suppress(EntryClosed):
        services.apply(
            services.Application(
                last.order_sn, "refund_only", "damaged", [services.ItemRequest("PHONE-CASE", 1)]
            ),
            actor=buyer,
        )
    return last


def test_abuse_records_are_listed_and_the_entry_reopened(world: Any, logins: Logins) -> None:
    order = _abuser(world)
    record = RiskRecord.objects.get()
    html = page(logins.platform.get("/platform/"))
    assert f'data-record="{record.pk}"' in html
    assert "疑似恶意售后" in html and "buyer-abuse" in html

    empty = logins.platform.post(
        f"/platform/risk/{record.pk}/reopen/", fields(f"reopen-{record.pk}", note=" ")
    )
    assert empty.status_code == 422
    assert "请填写说明" in page(empty)
    assert Order.objects.get(pk=order.pk).entry_closed_reason == "suspected_abuse"

    done = logins.platform.post(
        f"/platform/risk/{record.pk}/reopen/",
        fields(f"reopen-{record.pk}", note="核实为质量问题"),
        follow=True,
    )

    assert f"订单 {order.order_sn} 的售后入口已重新开启" in page(done)
    assert Order.objects.get(pk=order.pk).entry_closed_reason == ""
    record.refresh_from_db()
    assert record.resolved_by == "p-xiaoli"
    assert "已处理" in page(done)


def test_unresolved_records_come_first(world: Any, logins: Logins) -> None:
    from aftersales.risk.services import close_entry_for_abuse, reopen_entry

    first = make_order(world, world.buyer()[0], signed_at=sh(2026, 11, 16, 10))
    second = make_order(world, world.buyer()[0], signed_at=sh(2026, 11, 16, 10))
    close_entry_for_abuse(order_id=first.pk, sku_code="PHONE-CASE", recent_cases=3, days=30, limit=3)
    close_entry_for_abuse(order_id=second.pk, sku_code="PHONE-CASE", recent_cases=3, days=30, limit=3)
    reopen_entry(actor=world.platform, order_sn=second.order_sn, note="ok")

    html = page(logins.platform.get("/platform/"))

    assert html.index(first.order_sn) < html.index(second.order_sn)
