"""Orders as the shop sold them: items, receiver, money paid, shipping and signing times, and the
state of the order's after-sales entry (售后入口)."""

from __future__ import annotations

from django.db import models

from aftersales.accounts.models import Buyer, Shop
from aftersales.catalog.models import Sku


class Order(models.Model):
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, db_index=False
    )  # covered by an index below that starts with it
    order_sn = models.CharField(max_length=64, unique=True)
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT)
    receiver_name = models.CharField(max_length=100)
    receiver_phone = models.CharField(max_length=32)
    receiver_address = models.CharField(max_length=500)
    freight_fen = models.BigIntegerField(default=0)
    paid_fen = models.BigIntegerField()
    paid_at = models.DateTimeField()
    shipped_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(max_length=16, blank=True)
    tracking_no = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    return_freight_insured = models.BooleanField(default=False)
    # The entry closed by the platform or by the abuse rule; closing by count or by time is derived.
    entry_closed_reason = models.CharField(max_length=32, blank=True)
    entry_closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        # With the time paid: the risk flags count a buyer's recent orders from the index alone.
        indexes = [models.Index(fields=["shop", "buyer", "paid_at"], name="order_shop_buyer")]

    @property
    def goods_paid_fen(self) -> int:
        return max(self.paid_fen - self.freight_fen, 0)

    def __str__(self) -> str:
        return self.order_sn


class OrderItem(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="items", db_index=False
    )  # covered by an index below that starts with it
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT)
    sku_code = models.CharField(max_length=64)
    qty = models.PositiveIntegerField()
    unit_price_fen = models.BigIntegerField()
    paid_fen = models.BigIntegerField(help_text="this line's share of what the buyer paid for goods")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "sku_code"], name="order_item_unique_sku")]
