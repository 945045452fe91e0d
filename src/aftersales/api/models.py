"""Stored answers to POSTs sent with an ``Idempotency-Key``: the same key and body get the first answer again."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    principal = models.CharField(max_length=64, help_text="hash of the caller's token")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key")]
