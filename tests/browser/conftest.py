"""Browser tests: Playwright drives Debian's Chromium against the live server, one context per person."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from aftersales.accounts.services import create_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

# Each browser test module carries this mark: without Debian's Chromium there is nothing to drive.
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
)

PASSWORD = "browser-pass-42"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per module. Playwright's sync API keeps an event loop running in the test's thread while
    it is open, which Django's async-safety check would take for async code; the test's own database calls
    are plain synchronous ones, so the check is lifted for as long as the browser is open, and only then."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def person(browser: Browser, live_server: Any) -> Iterator[Callable[..., Page]]:
    """``person(username, locale="zh-CN")`` → a page in a browser context of its own, logged in."""
    contexts: list[BrowserContext] = []

    def open_as(username: str | None = None, *, locale: str = "zh-CN") -> Page:
        context = browser.new_context(
            locale=locale, viewport={"width": 1400, "height": 900}, base_url=live_server.url
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if username is not None:
            log_in(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Hash the test logins' passwords cheaply; the real hasher's cost is for real passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(world: Any) -> dict[str, str]:
    """Web logins for the world's shop: a merchant, a buyer, platform staff."""
    create_user("m-xiaowang", password=PASSWORD, role="merchant", shop=world.shop)
    create_user("b-zhangsan", password=PASSWORD, role="buyer", buyer_id="buyer-zhangsan")
    create_user("p-xiaoli", password=PASSWORD, role="platform")
    return {"merchant": "m-xiaowang", "buyer": "b-zhangsan", "platform": "p-xiaoli"}
