"""Small helpers the acceptance stories share: reading times and problem+json answers, running the worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from aftersales.timers.worker import run_due

PROBLEM_FIELDS = {"type", "title", "status", "code", "detail"}


def when(text: str | None) -> datetime | None:
    """An ISO 8601 time from the API as an aware datetime (compares equal to ``sh(...)`` for the same instant)."""
    return datetime.fromisoformat(text) if text is not None else None


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The problem+json body of a refused request, after checking its status, media type, code and fields."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["detail"] and body["title"]
    return body


def run_worker() -> dict[str, Any]:
    """One pass of ``aftersales timers run`` at the frozen clock: due deadlines fire, refunds settle."""
    return run_due()


def timeline(events: dict[str, Any]) -> list[tuple[str, str, str, str | None, str]]:
    """The events page as ``(action, actor role, actor id, from_state, to_state)``, oldest first."""
    return [
        (e["action"], e["actor"]["role"], e["actor"]["id"], e["from_state"], e["to_state"])
        for e in events["items"]
    ]
