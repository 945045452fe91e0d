"""The pages in a real browser: the countdown runs and an overdue case is marked, a wrong password does not
get in, one role cannot open another's pages, and the pages speak English when the browser asks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from aftersales.cases import services
from tests.browser.conftest import PASSWORD, log_in, needs_chromium
from tests.factories import make_order, sh

pytestmark = [needs_chromium, pytest.mark.usefixtures("transactional_db")]

CLOCK = re.compile(r"^(\d+天 )?\d\d:\d\d:\d\d$")


def _case(world: Any) -> int:
    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    return services.apply(
        services.Application(
            order.order_sn, "refund_only", "damaged", [services.ItemRequest("PHONE-CASE", 1)]
        ),
        actor=buyer,
    ).pk


def test_the_countdown_runs_and_an_overdue_case_is_marked(
    person: Any, staff: Any, world: Any, frozen: Any
) -> None:
    # given a case applied for at 10:00 and another at 11:00
    late = _case(world)
    frozen.advance(hours=1)
    fresh = _case(world)
    merchant = person(staff["merchant"])

    # when the merchant opens the queue 47.5 hours later
    frozen.advance(hours=46, minutes=30)
    merchant.goto("/workbench/")

    # then both count down, live, to their deadlines, the earlier one first
    rows = merchant.locator("#queue-rows tr")
    expect(rows).to_have_count(2)
    assert rows.nth(0).get_attribute("data-case") == str(late)
    first = rows.nth(0).locator(".countdown")
    expect(first).to_have_text(re.compile(r"^00:(29|30):\d\d$"))
    before = first.inner_text()
    merchant.wait_for_timeout(1500)
    assert first.inner_text() != before
    expect(rows.nth(1).locator(".countdown")).to_have_text(re.compile(r"^01:(29|30):\d\d$"))

    # when an hour passes and the worker has not acted yet
    frozen.advance(hours=1)
    merchant.reload()

    # then the first is marked overdue, the second still counts down
    rows = merchant.locator("#queue-rows tr")
    expect(rows.nth(0).locator(".countdown")).to_have_text(re.compile(r"^已超时 00:(29|30):\d\d$"))
    expect(rows.nth(0)).to_have_class(re.compile("is-overdue"))
    expect(rows.nth(1).locator(".countdown")).to_have_text(re.compile(r"^00:(29|30):\d\d$"))
    assert rows.nth(1).get_attribute("data-case") == str(fresh)
    expect(merchant.locator(".page-head .countdown.overdue")).to_have_text("1 单已超时")


def test_a_wrong_password_does_not_get_in(person: Any, staff: Any) -> None:
    page = person()
    log_in(page, staff["merchant"], "not-the-password")

    expect(page.locator("[role=alert]")).to_have_text("用户名或密码错误。")
    assert page.url.endswith("/accounts/login/")
    page.goto("/workbench/")
    assert "/accounts/login/" in page.url


@pytest.mark.parametrize(
    ("who", "path"), [("buyer", "/workbench/"), ("merchant", "/platform/"), ("platform", "/buyer/")]
)
def test_one_role_cannot_open_another_roles_page(person: Any, staff: Any, who: str, path: str) -> None:
    page = person(staff[who])

    response = page.goto(path)

    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("无权访问此页面")
    page.click("text=前往我的页面")
    assert page.url.endswith({"buyer": "/buyer/", "merchant": "/workbench/", "platform": "/platform/"}[who])


def test_the_pages_speak_english_when_the_browser_asks(
    person: Any, staff: Any, world: Any, frozen: Any
) -> None:
    _case(world)
    page = person(locale="en-US")
    page.goto("/accounts/login/")
    expect(page.locator("h1")).to_have_text("Log in")

    page.fill("#id_username", staff["merchant"])
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    expect(page.locator("nav.tabs a.active")).to_contain_text("Waiting on me")
    expect(page.locator("#queue thead")).to_contain_text("Time left")
    expect(page.locator("#queue-rows")).to_contain_text("Refund only")
    expect(page.locator("#queue-rows")).to_contain_text("Damaged")
    assert page.locator("html").get_attribute("lang") == "en"
