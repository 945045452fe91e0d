"""HTTP: the timers of a shop (merchant) or of all shops (platform), e.g. ``?status=failed``."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router

from aftersales.api.auth import require
from aftersales.core.actors import MERCHANT, PLATFORM
from aftersales.timers import queries

router = Router(tags=["timers"])


@router.get("/timers")
def list_timers(
    request: HttpRequest, status: Literal["pending", "fired", "obsolete", "failed"] | None = None
) -> dict[str, Any]:
    actor = require(request, MERCHANT, PLATFORM)
    return {"items": queries.timers(actor, status=status), "next_cursor": None}
