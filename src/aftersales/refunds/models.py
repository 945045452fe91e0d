"""Refunds: one per case at most (a unique key, whatever is retried), paid through a gateway."""

from __future__ import annotations

from django.db import models

from aftersales.accounts.models import Shop

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


class Refund(models.Model):
    # The shop is the case's: the case's own key to the shop holds it. No check of its own, which on
    # PostgreSQL would lock the shop's row with every row written, a lock all the shop's commands share.
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, db_index=False, db_constraint=False
    )  # covered by an index below that starts with it
    case = models.OneToOneField("cases.AfterSale", on_delete=models.CASCADE, related_name="refund")
    goods_fen = models.BigIntegerField()
    freight_fen = models.BigIntegerField(default=0)
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=16, default=PENDING)
    gateway = models.CharField(max_length=32)
    gateway_ref = models.CharField(max_length=64, blank=True)
    decided_by = models.CharField(max_length=16)
    attempts = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=200, blank=True)
    initiated_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    due_by = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="refund_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="refund_pending_due", condition=models.Q(status="pending")
            ),
            models.Index(fields=["shop", "initiated_at"], name="refund_shop_initiated"),
        ]
