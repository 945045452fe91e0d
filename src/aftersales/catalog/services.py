"""Catalogue commands: create a SKU, set or move its stock."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.catalog import stock as stock_moves
from aftersales.catalog.models import Sku
from aftersales.core import clock
from aftersales.core.actors import Actor
from aftersales.core.errors import NotFound, ValidationFailed


def create_sku(
    *, actor: Actor, sku: str, name: str, price_fen: int, stock: int, no_reason_return: bool = True
) -> Sku:
    if actor.shop_id is None:
        raise NotFound(what="shop")
    if price_fen < 0 or stock < 0:
        raise ValidationFailed(field="stock", message=_("price and stock must not be negative"))
    now = clock.now()
    try:
        with transaction.atomic():
            return Sku.objects.create(
                shop_id=actor.shop_id,
                sku=sku,
                name=name,
                price_fen=price_fen,
                stock=stock,
                no_reason_return=no_reason_return,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            field="sku", message=_("SKU %(sku)s already exists in this shop") % {"sku": sku}
        ) from exc


def get_sku(*, shop_id: int, sku: str) -> Sku:
    found = Sku.objects.filter(shop_id=shop_id, sku=sku).first()
    if found is None:
        raise NotFound(what="SKU")
    return found


def set_stock(*, actor: Actor, sku: str, stock: int | None = None, stock_delta: int | None = None) -> Sku:
    if (stock is None) == (stock_delta is None):
        raise ValidationFailed(field="stock", message=_("give exactly one of stock or stock_delta"))
    if actor.shop_id is None:
        raise NotFound(what="SKU")
    with transaction.atomic():
        row = Sku.objects.select_for_update().filter(shop_id=actor.shop_id, sku=sku).first()
        if row is None:
            raise NotFound(what="SKU")
        new_stock = stock if stock is not None else row.stock + (stock_delta or 0)
        if new_stock < 0 or new_stock < row.reserved:
            raise ValidationFailed(
                field="stock",
                message=_("stock would be %(stock)s, below zero or below the %(reserved)s reserved")
                % {"stock": new_stock, "reserved": row.reserved},
            )
        row.stock = new_stock
        row.updated_at = clock.now()
        row.save(update_fields=["stock", "updated_at"])
        if row.available > 0:
            stock_moves.resolve_alerts(shop_id=row.shop_id, sku_id=row.pk, at=row.updated_at)
        return row
