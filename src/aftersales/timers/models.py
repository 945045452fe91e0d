"""Deadlines as rows: one pending timer per waiting case, replaced whenever the case changes state."""

from __future__ import annotations

from django.db import models

from aftersales.accounts.models import Shop

PENDING, FIRED, OBSOLETE, FAILED = "pending", "fired", "obsolete", "failed"


class Timer(models.Model):
    # The shop is the case's: the case's own key to the shop holds it. No check of its own, which on
    # PostgreSQL would lock the shop's row with every row written, a lock all the shop's commands share.
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, db_index=False, db_constraint=False
    )  # covered by an index below that starts with it
    case = models.ForeignKey(
        "cases.AfterSale", on_delete=models.CASCADE, related_name="timers", db_index=False
    )  # covered by timer_shop_case: a case's timers are read with its shop
    kind = models.CharField(max_length=32)
    state = models.CharField(max_length=32, help_text="the case state that set this timer")
    case_version = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"], name="timer_due", condition=models.Q(status="pending")
            ),
            models.Index(fields=["shop", "case", "status"], name="timer_shop_case"),
        ]
