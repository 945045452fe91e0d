"""Sessions, CSRF, logins and messages are the web pages' business: a token-authenticated API request passes
their middleware untouched, while the pages keep all four."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_api_request_gets_no_session_user_or_messages(world: Any) -> None:
    # given a client with the merchant's token that enforces CSRF as a browser would
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {world.merchant_token}")
    # when it calls the API, a read and a write
    read = client.get("/api/v1/me")
    write = client.patch("/api/v1/shop", {"extra_holidays": ["2026-12-31"]}, content_type="application/json")
    # then both are answered, with no session, user or message storage made for them and no cookie set
    assert read.status_code == 200, read.content
    assert write.status_code == 200, write.content
    for response in (read, write):
        request = response.wsgi_request
        assert not hasattr(request, "session")
        assert not hasattr(request, "user")
        assert not hasattr(request, "_messages")
        assert not response.cookies


def test_pages_keep_session_csrf_user_and_messages(db: Any) -> None:
    # given a browser
    client = Client(enforce_csrf_checks=True)
    # when it opens the login page and then posts it without the CSRF token
    page = client.get("/accounts/login/")
    refused = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    # then the page had a session, a user and message storage, and set the CSRF cookie the post lacked
    request = page.wsgi_request
    assert hasattr(request, "session")
    assert request.user.is_anonymous
    assert hasattr(request, "_messages")
    assert "csrftoken" in page.cookies
    assert refused.status_code == 403
