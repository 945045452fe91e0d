"""Stock movements for cases (domain.md section 9). Lock order: case → order → SKU; callers hold the case.

A refused reservation raises ``insufficient_stock`` and leaves a restock alert that stands even though the
agreement is rolled back (it is written in its own transaction after the caller's has been undone)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from aftersales.catalog.models import CONSUMED, RELEASED, RESERVED, RestockAlert, Sku, StockReservation
from aftersales.core.errors import InsufficientStock, NotFound


def _locked_sku(shop_id: int, sku: str) -> Sku:
    row = Sku.objects.select_for_update().filter(shop_id=shop_id, sku=sku).first()
    if row is None:
        raise NotFound(what="SKU")
    return row


def reserve(*, shop_id: int, sku: str, qty: int, case_id: int, at: datetime) -> StockReservation:
    row = _locked_sku(shop_id, sku)
    if row.available < qty:
        raise InsufficientStock(sku=sku, available=row.available, needed=qty, case_id=case_id)
    row.reserved += qty
    row.updated_at = at
    row.save(update_fields=["reserved", "updated_at"])
    return StockReservation.objects.create(
        shop_id=shop_id, sku=row, case_id=case_id, qty=qty, status=RESERVED, created_at=at, updated_at=at
    )


def raise_restock_alert(
    *, shop_id: int, sku: str, needed: int, available: int, case_id: int, at: datetime
) -> None:
    with transaction.atomic():
        row = Sku.objects.filter(shop_id=shop_id, sku=sku).first()
        if row is None:
            return
        # One open alert per case and SKU, however often the agreement is retried.
        RestockAlert.objects.update_or_create(
            shop_id=shop_id,
            sku=row,
            case_id_hint=case_id,
            resolved_at=None,
            defaults={"needed": needed, "available": available, "created_at": at},
        )


def _settle(case_id: int, status: str, at: datetime) -> list[StockReservation]:
    held = list(StockReservation.objects.filter(case_id=case_id, status=RESERVED).select_related("sku"))
    for reservation in sorted(held, key=lambda r: r.sku_id):
        row = Sku.objects.select_for_update().get(pk=reservation.sku_id)
        row.reserved -= reservation.qty
        if status == CONSUMED:
            row.stock -= reservation.qty
        row.updated_at = at
        row.save(update_fields=["reserved", "stock", "updated_at"])
        reservation.status = status
        reservation.updated_at = at
        reservation.save(update_fields=["status", "updated_at"])
    return held


def consume(*, case_id: int, at: datetime) -> list[StockReservation]:
    """The replacement shipped: reserved units leave the stock."""
    return _settle(case_id, CONSUMED, at)


def release(*, case_id: int, at: datetime) -> list[StockReservation]:
    """The case will not ship after all: reserved units are available again."""
    return _settle(case_id, RELEASED, at)


def restock(*, shop_id: int, sku: str, qty: int, at: datetime) -> Sku:
    """Returned goods accepted in resellable condition go back into stock; open restock alerts are cleared."""
    row = _locked_sku(shop_id, sku)
    row.stock += qty
    row.updated_at = at
    row.save(update_fields=["stock", "updated_at"])
    resolve_alerts(shop_id=shop_id, sku_id=row.pk, at=at)
    return row


def resolve_alerts(*, shop_id: int, sku_id: int, at: datetime) -> None:
    """Resolve the open alerts of the SKU that its available stock now covers."""
    row = Sku.objects.filter(pk=sku_id).first()
    if row is None:
        return
    RestockAlert.objects.filter(
        shop_id=shop_id, sku_id=sku_id, resolved_at__isnull=True, needed__lte=row.available
    ).update(resolved_at=at)
