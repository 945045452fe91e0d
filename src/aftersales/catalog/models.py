"""SKUs and their stock. ``available = stock - reserved``; reservations come from agreed reships and exchanges."""

from __future__ import annotations

from django.db import models

from aftersales.accounts.models import Shop


class Sku(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    price_fen = models.BigIntegerField()
    stock = models.BigIntegerField(default=0)
    reserved = models.BigIntegerField(default=0)
    no_reason_return = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "sku"], name="sku_unique_per_shop"),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="sku_stock_not_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="sku_reserved_not_negative"),
        ]

    @property
    def available(self) -> int:
        return self.stock - self.reserved

    def __str__(self) -> str:
        return self.sku


RESERVED, CONSUMED, RELEASED = "reserved", "consumed", "released"


class StockReservation(models.Model):
    """Units held for a case's replacement: reserved on agree, consumed on ship, released on close."""

    # The shop is the case's: the case's own key to the shop holds it. No check of its own, which on
    # PostgreSQL would lock the shop's row with every row written, a lock all the shop's commands share.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, db_constraint=False)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT)
    case = models.ForeignKey("cases.AfterSale", on_delete=models.CASCADE, related_name="reservations")
    qty = models.PositiveIntegerField()
    status = models.CharField(max_length=16, default=RESERVED)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["shop", "case", "status"], name="reservation_case")]


class RestockAlert(models.Model):
    """Raised when an agreement found too little stock (库存紧张，可提前与供应商沟通); cleared by a restock."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE)
    needed = models.PositiveIntegerField()
    available = models.BigIntegerField()
    case_id_hint = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "resolved_at"], name="restock_alert_open")]
