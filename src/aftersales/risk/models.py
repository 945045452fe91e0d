"""Risk records for the platform: why a buyer's after-sales entry was closed, and who reopened it."""

from __future__ import annotations

from django.db import models

from aftersales.accounts.models import Buyer, Shop
from aftersales.orders.models import Order


class RiskRecord(models.Model):
    # Its index is one of those below that start with it.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, db_index=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="risk_records")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE)
    kind = models.CharField(max_length=32)
    sku_code = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=64, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "created_at"], name="risk_shop_created"),
            # Rule 8's count looks for the platform's last clearing of a buyer's SKU for each case it counts
            # (on every application and every queue page): one probe, not the shop's every record.
            models.Index(fields=["shop", "buyer", "sku_code", "resolved_at"], name="risk_buyer_sku"),
        ]
