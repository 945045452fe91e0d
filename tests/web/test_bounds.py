"""Numbers past what a column can hold in a page's path, link or form: no page (404), or the form's error, never
a server error, and nothing changes."""

from __future__ import annotations

from typing import Any

from aftersales.core.bounds import MAX_ID
from tests.factories import make_order, make_sku, sh
from tests.web.conftest import Logins, page

HUGE = 10**30  # past 64 bits


def test_a_page_of_a_case_id_past_what_a_key_holds_is_not_found(logins: Logins) -> None:
    for path in (f"/workbench/cases/{HUGE}/", f"/buyer/cases/{MAX_ID + 1}/", f"/platform/cases/{HUGE}/"):
        client = {"w": logins.merchant, "b": logins.buyer, "p": logins.platform}[path[1]]
        assert client.get(path).status_code == 404, path


def test_a_queue_cursor_past_what_a_key_holds_shows_an_error(logins: Logins) -> None:
    html = page(logins.merchant.get(f"/workbench/?cursor={HUGE}"))
    assert "翻页链接已失效" in html


def test_an_application_form_with_numbers_past_their_bounds(world: Any, logins: Logins) -> None:
    make_sku(world, "PHONE-CASE")
    order = make_order(world, logins.buyer_actor, signed_at=sh(2026, 11, 16, 10))
    path = f"/buyer/orders/{order.order_sn}/apply/"
    for form, said in (
        ({"type": "refund_only", "reason_code": "damaged", "qty_0": str(HUGE)}, "1000000"),
        ({"type": "refund_only", "reason_code": "damaged", "qty_0": "1", "amount": "9" * 17 + ".99"},
         "金额最多为 10000000000 元"),
    ):  # fmt: skip
        response = logins.buyer.post(path, form)
        assert response.status_code == 400
        assert said in page(response)
    assert not order.cases.exists()
