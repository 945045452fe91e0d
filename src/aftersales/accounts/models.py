"""Shops, buyers, who works for which shop, and API tokens (stored hashed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from aftersales.core.actors import BUYER, MERCHANT, PLATFORM

ROLE_CHOICES = [(BUYER, "buyer"), (MERCHANT, "merchant"), (PLATFORM, "platform")]


class Shop(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai")
    default_return_address = models.JSONField(null=True, blank=True)
    extra_holidays = models.JSONField(default=list, blank=True)
    extra_working_days = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.code


class Buyer(models.Model):
    """A buyer of the platform. Buyers shop across shops, so this table is the one without ``shop_id``."""

    external_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.external_id


class Membership(models.Model):
    """A web login's role: merchant staff of one shop, platform staff, or a buyer."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.CASCADE)
    buyer = models.ForeignKey(Buyer, null=True, blank=True, on_delete=models.CASCADE)


class ApiToken(models.Model):
    name = models.CharField(max_length=200, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=16, choices=ROLE_CHOICES)
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.CASCADE)
    buyer = models.ForeignKey(Buyer, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
