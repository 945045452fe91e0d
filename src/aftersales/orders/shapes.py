"""The shapes of an order's parts as they arrive from outside (HTTP or an import file), validated once."""

from __future__ import annotations

from pydantic import BaseModel, Field

from aftersales.core.bounds import Fen, Qty


class Receiver(BaseModel):
    """A person and an address goods are sent to: an order's receiver, or a return address."""

    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=3, max_length=32)
    address: str = Field(min_length=1, max_length=500)


class OrderLine(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    qty: Qty
    unit_price_fen: Fen
