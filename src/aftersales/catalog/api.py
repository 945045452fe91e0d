"""HTTP: SKUs and their stock (merchant)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from aftersales.api.auth import require
from aftersales.catalog import services
from aftersales.catalog.models import Sku
from aftersales.core.actors import MERCHANT
from aftersales.core.bounds import Fen, Stock, StockDelta

router = Router(tags=["catalogue"])


class SkuIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    price_fen: Fen
    stock: Stock
    no_reason_return: bool = True


class SkuPatch(Schema):
    stock: Stock | None = None
    stock_delta: StockDelta | None = None


class SkuOut(Schema):
    sku: str
    name: str
    price_fen: int
    stock: int
    reserved: int
    available: int
    no_reason_return: bool


def _out(row: Sku) -> dict[str, Any]:
    return {
        "sku": row.sku,
        "name": row.name,
        "price_fen": row.price_fen,
        "stock": row.stock,
        "reserved": row.reserved,
        "available": row.available,
        "no_reason_return": row.no_reason_return,
    }


@router.post("/skus", response={201: SkuOut})
def create_sku(request: HttpRequest, body: SkuIn) -> Status[dict[str, Any]]:
    actor = require(request, MERCHANT)
    return Status(201, _out(services.create_sku(actor=actor, **body.dict())))


@router.patch("/skus/{sku}", response=SkuOut)
def patch_sku(request: HttpRequest, sku: str, body: SkuPatch) -> dict[str, Any]:
    actor = require(request, MERCHANT)
    return _out(services.set_stock(actor=actor, sku=sku, stock=body.stock, stock_delta=body.stock_delta))


@router.get("/skus/{sku}", response=SkuOut)
def get_sku(request: HttpRequest, sku: str) -> dict[str, Any]:
    actor = require(request, MERCHANT)
    return _out(services.get_sku(shop_id=actor.shop_id or 0, sku=sku))
