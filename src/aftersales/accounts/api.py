"""HTTP: the merchant's own shop settings (business-day calendar, default return address)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from aftersales.accounts.models import Shop
from aftersales.accounts.services import update_shop_calendar
from aftersales.api.auth import actor_of, require
from aftersales.core.actors import MERCHANT
from aftersales.core.errors import NotFound

router = Router(tags=["shop"])


class ShopPatch(Schema):
    extra_holidays: list[str] | None = None
    extra_working_days: list[str] | None = None
    default_return_address: dict[str, str] | None = None


def _out(shop: Shop) -> dict[str, Any]:
    return {
        "shop": shop.code,
        "name": shop.name,
        "time_zone": shop.time_zone,
        "default_return_address": shop.default_return_address,
        "extra_holidays": shop.extra_holidays,
        "extra_working_days": shop.extra_working_days,
    }


def _own(request: HttpRequest) -> Shop:
    actor = require(request, MERCHANT)
    shop = Shop.objects.filter(pk=actor.shop_id).first() if actor.shop_id is not None else None
    if shop is None:
        raise NotFound(what="shop")
    return shop


@router.get("/me")
def me(request: HttpRequest) -> dict[str, Any]:
    """Who this token is: its role and identity (a cheap call to check a token)."""
    actor = actor_of(request)
    return {"role": actor.role, "id": actor.id, "shop_id": actor.shop_id, "buyer_id": actor.buyer_id}


@router.get("/shop")
def get_shop(request: HttpRequest) -> dict[str, Any]:
    return _out(_own(request))


@router.patch("/shop")
def patch_shop(request: HttpRequest, body: ShopPatch) -> dict[str, Any]:
    return _out(
        update_shop_calendar(
            _own(request),
            holidays=body.extra_holidays,
            working_days=body.extra_working_days,
            default_return_address=body.default_return_address,
        )
    )
