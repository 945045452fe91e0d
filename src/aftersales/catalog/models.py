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
