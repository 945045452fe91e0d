"""Logging in, where each role lands, who may open which page, CSRF on every form, and the language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import make_order, make_world, sh
from tests.web.conftest import PASSWORD, Logins, page


def test_login_page_asks_for_username_and_password(client: Client, db: Any) -> None:
    html = page(client.get("/accounts/login/"))

    assert 'name="username"' in html
    assert 'name="password"' in html
    assert "csrfmiddlewaretoken" in html


def test_wrong_password_does_not_get_in(client: Client, logins: Logins) -> None:
    response = client.post("/accounts/login/", {"username": "m-xiaowang", "password": "wrong"})

    assert response.status_code == 200
    assert "用户名或密码错误" in page(response)
    assert client.get("/workbench/").status_code == 302


@pytest.mark.parametrize(
    ("username", "home"),
    [("m-xiaowang", "/workbench/"), ("b-zhangsan", "/buyer/"), ("p-xiaoli", "/platform/")],
)
def test_each_role_lands_on_its_home(client: Client, logins: Logins, username: str, home: str) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == home
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/", "/workbench/", "/buyer/", "/platform/", "/workbench/cases/1/"])
def test_anonymous_visitors_are_sent_to_log_in(client: Client, db: Any, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("buyer", "/workbench/"),
        ("buyer", "/workbench/shipping/"),
        ("buyer", "/platform/"),
        ("merchant", "/platform/"),
        ("merchant", "/buyer/"),
        ("platform", "/workbench/"),
        ("platform", "/buyer/"),
    ],
)
def test_one_role_cannot_open_another_roles_page(logins: Logins, who: str, path: str) -> None:
    response = getattr(logins, who).get(path)

    assert response.status_code == 403
    assert "无权访问此页面" in page(response)


def test_a_login_without_a_role_sees_a_notice(client: Client, db: Any) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="nobody", password=PASSWORD)
    client.login(username="nobody", password=PASSWORD)

    html = page(client.get("/"))

    assert "该账号尚未分配角色" in html


def test_a_merchant_sees_only_their_own_shops_cases(world: Any, logins: Logins) -> None:
    # given a case in another shop
    other = make_world()
    buyer, _ = other.buyer()
    order = make_order(other, buyer, signed_at=sh(2026, 11, 16, 10))
    from aftersales.cases import services

    case = services.apply(
        services.Application(
            order.order_sn, "refund_only", "damaged", [services.ItemRequest("PHONE-CASE", 1)]
        ),
        actor=buyer,
    )
    # then our merchant neither lists it nor opens it, nor its order's chat
    assert f'data-case="{case.pk}"' not in page(logins.merchant.get("/workbench/?tab=all"))
    assert logins.merchant.get(f"/workbench/cases/{case.pk}/").status_code == 404
    assert logins.merchant.get(f"/workbench/orders/{order.order_sn}/").status_code == 404
    assert logins.merchant.post(f"/workbench/cases/{case.pk}/agree/", {}).status_code == 404
    # and a buyer cannot open another buyer's case or order
    assert logins.buyer.get(f"/buyer/cases/{case.pk}/").status_code == 404
    assert logins.buyer.get(f"/buyer/orders/{order.order_sn}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/workbench/cases/1/agree/",
        "/workbench/bulk-agree/",
        "/workbench/orders/SN1/chat/",
        "/buyer/cases/1/cancel/",
        "/platform/cases/1/decide/",
        "/accounts/login/",
    ],
)
def test_posts_without_a_csrf_token_are_refused(logins: Logins, path: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.login(username="m-xiaowang", password=PASSWORD)

    response = client.post(path, {"reason": "x"})

    assert response.status_code == 403


def test_every_form_carries_a_csrf_token(world: Any, logins: Logins) -> None:
    buyer = logins.buyer_actor
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    html = page(logins.buyer.get(f"/buyer/orders/{order.order_sn}/apply/"))

    forms = html.count('method="post"')
    assert forms >= 2  # the application and the logout button
    assert html.count('name="csrfmiddlewaretoken"') == forms


def test_pages_speak_chinese_by_default_and_english_on_request(logins: Logins) -> None:
    chinese = page(logins.merchant.get("/workbench/"))
    english = page(logins.merchant.get("/workbench/", headers={"Accept-Language": "en-US,en;q=0.9"}))

    assert '<html lang="zh-hans">' in chinese
    assert "待我处理" in chinese
    assert "剩余处理时间" in chinese
    assert '<html lang="en">' in english
    assert "Waiting on me" in english
    assert "Time left" in english
    assert "待我处理" not in english


def test_static_files_are_served_without_debug(client: Client, db: Any) -> None:
    htmx = client.get("/static/web/htmx.min.js")
    css = client.get("/static/web/app.css")

    assert htmx.status_code == 200
    assert b"htmx" in b"".join(htmx.streaming_content)  # type: ignore[attr-defined]
    assert css.status_code == 200
