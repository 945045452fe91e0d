"""Parcels that belong to a case: the buyer's return and the merchant's replacement."""

from __future__ import annotations

from django.db import models

from aftersales.accounts.models import Shop

RETURN, REPLACEMENT = "return", "replacement"


class Shipment(models.Model):
    # Both covered by the indexes below that start with them.
    # The shop is the case's: the case's own key to the shop holds it. No check of its own, which on
    # PostgreSQL would lock the shop's row with every row written, a lock all the shop's commands share.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    case = models.ForeignKey(
        "cases.AfterSale", on_delete=models.CASCADE, related_name="shipments", db_index=False
    )
    kind = models.CharField(max_length=16, choices=[(RETURN, RETURN), (REPLACEMENT, REPLACEMENT)])
    carrier = models.CharField(max_length=16)
    tracking_no = models.CharField(max_length=64)
    freight_fen = models.BigIntegerField(default=0)
    shipped_at = models.DateTimeField()
    picked_up_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="one_shipment_per_kind")]
        indexes = [models.Index(fields=["shop", "carrier", "tracking_no"], name="shipment_tracking")]
