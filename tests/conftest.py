"""Shared fixtures: a frozen clock, a shop with its staff, and an HTTP client against a real server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.utils import translation

from aftersales.core import clock
from tests.factories import World, make_world, sh

ON_POSTGRES = os.environ.get("AFTERSALES_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (AFTERSALES_DATABASE_URL)")


class Clock:
    """The injectable clock, frozen for a test: ``at(...)`` sets it, ``advance(...)`` moves it."""

    def at(self, when: datetime) -> datetime:
        clock.freeze(when)
        return clock.now()

    def advance(self, **delta: float) -> datetime:
        return clock.advance(timedelta(**delta))

    def now(self) -> datetime:
        return clock.now()


@pytest.fixture(autouse=True)
def one_worker_thread(settings: Any) -> None:
    """The worker's extra threads open connections of their own, which cannot see a test's uncommitted
    rows; a test that wants them commits its rows and asks for them (tests/timers/test_worker_concurrency.py)."""
    settings.WORKER_THREADS = 1


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language, Chinese: a request through Django's test client leaves the
    language it asked for active after it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def frozen() -> Iterator[Clock]:
    clock.freeze(sh(2026, 11, 18, 10))
    yield Clock()
    clock.unfreeze()


@pytest.fixture
def world(db: Any) -> World:
    return make_world(
        default_return_address={"name": "售后部", "phone": "13800001111", "address": "杭州市余杭区 1 号"}
    )


class Api:
    """A client of the real HTTP API, as one caller (a token) in one language."""

    def __init__(self, base: str, token: str | None, lang: str) -> None:
        headers = {"Accept-Language": lang}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=base, headers=headers, timeout=30)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params={k: v for k, v in params.items() if v is not None})

    def post(
        self, path: str, json: Any = None, *, key: str | None = None, version: int | None = None
    ) -> httpx.Response:
        body = dict(json or {})
        if version is not None:
            body["version"] = version
        headers = {"Idempotency-Key": key} if key else {}
        return self.http.post(path, json=body, headers=headers)

    def patch(self, path: str, json: Any) -> httpx.Response:
        return self.http.patch(path, json=json)

    def ok(self, response: httpx.Response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
def api(live_server: Any) -> Any:
    """``api(token, lang="zh-hans")`` → a client of the live server's ``/api/v1``."""
    clients: list[Api] = []

    def make(token: str | None = None, lang: str = "zh-hans") -> Api:
        client = Api(live_server.url + "/api/v1", token, lang)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.close()
