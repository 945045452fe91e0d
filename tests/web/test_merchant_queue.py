"""The merchant's queue: tabs by who must act, countdowns, overdue marks, filters, paging, bulk agreement,
the shipping list and the conversations."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.chat import services as chat
from tests.factories import make_order, make_sku, sh
from tests.web.conftest import Logins, page
from tests.web.support import apply_case


def _rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-case="(\d+)"', html)]


def test_the_newest_application_waits_on_the_merchant_with_a_countdown(
    world: Any, logins: Logins, frozen: Any
) -> None:
    # given two applications, the phone case first
    buyer = logins.buyer_actor
    first = apply_case(world, buyer, "return_refund", "quality_issue")
    frozen.advance(minutes=5)
    second = apply_case(world, buyer, "refund_only", "damaged")

    html = page(logins.merchant.get("/workbench/"))

    # then both wait on the merchant, the most urgent deadline first, each with its countdown
    assert _rows(html) == [first.pk, second.pk]
    assert 'data-deadline="2026-11-20T10:00:00+08:00"' in html
    assert 'data-now="2026-11-18T10:05:00+08:00"' in html
    assert ">1天 23:55:00</span>" in html
    assert ">2天 00:00:00</span>" in html
    assert "剩余处理时间" in html
    assert re.search(r'data-tab="merchant" class="active">待我处理<span class="count hot">2</span>', html)
    assert "countdown overdue" not in html


def test_a_case_past_its_deadline_is_marked_overdue(world: Any, logins: Logins, frozen: Any) -> None:
    case = apply_case(world, logins.buyer_actor)
    frozen.advance(hours=49)  # the worker has not run yet

    html = page(logins.merchant.get("/workbench/"))

    assert _rows(html) == [case.pk]
    assert 'class="is-overdue"' in html
    assert re.search(r'<span class="countdown overdue"[^>]*>已超时 01:00:00</span>', html)
    assert "1 单已超时" in html


def test_tabs_split_the_queue_by_who_must_act(world: Any, logins: Logins) -> None:
    waiting = apply_case(world)
    rejected = apply_case(world, None, "return_refund", "quality_issue")
    services.reject(rejected.pk, actor=world.merchant, reason="外观无损")
    refunded = apply_case(world)
    services.agree(refunded.pk, actor=world.merchant)
    buyer, _ = world.buyer()
    cancelled = apply_case(world, buyer)
    services.cancel(cancelled.pk, actor=buyer)

    assert _rows(page(logins.merchant.get("/workbench/?tab=merchant"))) == [waiting.pk]
    assert _rows(page(logins.merchant.get("/workbench/?tab=buyer"))) == [rejected.pk]
    assert _rows(page(logins.merchant.get("/workbench/?tab=payment"))) == [refunded.pk]
    assert _rows(page(logins.merchant.get("/workbench/?tab=done"))) == [cancelled.pk]
    assert set(_rows(page(logins.merchant.get("/workbench/?tab=all")))) == {
        waiting.pk, rejected.pk, refunded.pk, cancelled.pk,
    }  # fmt: skip


def test_filters_by_type_state_and_order_number(world: Any, logins: Logins) -> None:
    buyer = logins.buyer_actor
    refund = apply_case(world, buyer, "refund_only", "damaged")
    ret = apply_case(world, buyer, "return_refund", "quality_issue")

    by_type = page(logins.merchant.get("/workbench/?tab=all&type=return_refund"))
    by_state = page(logins.merchant.get("/workbench/?tab=all&state=pending_merchant&type=refund_only"))
    by_order = page(logins.merchant.get(f"/workbench/?tab=all&q={refund.order_sn}"))
    unknown = page(logins.merchant.get("/workbench/?tab=all&state=no-such-state"))

    assert _rows(by_type) == [ret.pk]
    assert _rows(by_state) == [refund.pk]
    assert _rows(by_order) == [refund.pk]
    assert set(_rows(unknown)) == {refund.pk, ret.pk}  # an unknown filter falls back to none


def test_pages_follow_the_cursor(world: Any, logins: Logins, frozen: Any, monkeypatch: Any) -> None:
    from aftersales.web import queries

    monkeypatch.setattr(queries, "PAGE", 2)
    made = []
    for _ in range(3):
        made.append(apply_case(world).pk)
        frozen.advance(minutes=1)

    first = page(logins.merchant.get("/workbench/"))
    link = re.search(r'href="([^"]+)" rel="next"', first)
    assert link is not None
    second = page(logins.merchant.get(link.group(1).replace("&amp;", "&")))

    assert _rows(first) == made[:2]
    assert _rows(second) == made[2:]
    assert 'rel="next"' not in second
    assert "首页" in second


def test_a_cursor_that_was_never_given_out_shows_an_error(logins: Logins) -> None:
    html = page(logins.merchant.get("/workbench/?cursor=bogus"))

    assert "翻页链接已失效" in html


def test_bulk_agree_reports_what_happened_to_each_case(world: Any, logins: Logins) -> None:
    # given two refund-only cases, one of them changed since the page was shown, and a return case
    fresh = apply_case(world)
    stale = apply_case(world)
    ret = apply_case(world, None, "return_refund", "quality_issue")
    html = page(logins.merchant.get("/workbench/"))
    assert f'value="{fresh.pk}:{fresh.version}"' in html
    assert f'value="{ret.pk}:' not in html  # only refund-only cases get a checkbox
    services.reject(stale.pk, actor=world.merchant, reason="先沟通")

    response = logins.merchant.post(
        "/workbench/bulk-agree/",
        {"case": [f"{fresh.pk}:{fresh.version}", f"{stale.pk}:{stale.version}", f"{ret.pk}:{ret.version}"],
         "next": "/workbench/?tab=merchant"},
        follow=True,
    )  # fmt: skip

    html = page(response)
    assert response.redirect_chain[-1][0] == "/workbench/?tab=merchant"
    assert f"售后单 {fresh.pk}：已同意，当前状态：退款中。" in html
    assert f"售后单 {stale.pk}：您提交的版本为" in html
    assert f"售后单 {ret.pk}：只有仅退款售后单可以批量同意" in html
    assert AfterSale.objects.get(pk=fresh.pk).state == "refunding"
    assert AfterSale.objects.get(pk=stale.pk).state == "rejected"
    assert AfterSale.objects.get(pk=ret.pk).state == "pending_merchant"


def test_bulk_agree_with_nothing_chosen_says_so(logins: Logins) -> None:
    html = page(logins.merchant.post("/workbench/bulk-agree/", {}, follow=True))

    assert "请先勾选要同意的售后单" in html


def test_shipping_lists_reships_first_and_the_restock_alerts(world: Any, logins: Logins) -> None:
    buyer = logins.buyer_actor
    make_sku(world, "SOCKS", price_fen=2990, stock=0)
    unshipped = make_order(world, buyer, shipped=False)
    short = apply_case(world, buyer, "reship", "missing_item", items=[("SOCKS", 1, 2990)])
    reship = apply_case(world, buyer, "reship", "missing_item")
    services.agree(reship.pk, actor=world.merchant)
    from aftersales.core.errors import InsufficientStock

    with contextlib.suppress(InsufficientStock):
        services.agree(short.pk, actor=world.merchant)

    html = page(logins.merchant.get("/workbench/shipping/"))

    assert html.index(f"售后单 {reship.pk}") < html.index(unshipped.order_sn)
    assert "库存预警" in html
    assert "SOCKS" in html


def test_conversations_list_the_latest_message_and_open_an_order(world: Any, logins: Logins) -> None:
    order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 16, 10))
    chat.post_message(actor=logins.buyer_actor, order_sn=order.order_sn, text="少了一件 <b>快补</b>")

    html = page(logins.merchant.get("/workbench/chats/"))
    found = logins.merchant.get(f"/workbench/chats/?q={order.order_sn}")
    missing = page(logins.merchant.get("/workbench/chats/?q=NO-SUCH-ORDER"))

    assert "少了一件 &lt;b&gt;快补&lt;/b&gt;" in html
    assert found.status_code == 302 and found["Location"] == f"/workbench/orders/{order.order_sn}/"
    assert "未找到该编号对应的订单" in missing
