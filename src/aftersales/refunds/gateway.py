"""The payment-gateway port and the built-in simulated adapter.

A gateway is asked, off the request path (by the worker), what became of a pending refund. The simulated
gateway settles a refund once ``AFTERSALES_SIMULATED_REFUND_DELAY`` seconds have passed since it started; a
real provider answers through ``POST /payments/refund-events`` instead and returns None here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings

from aftersales.refunds.models import SUCCEEDED, Refund


class PaymentGateway(Protocol):
    name: str

    def outcome(self, refund: Refund, *, now: datetime) -> str | None:
        """``succeeded`` or ``failed`` when the provider has settled the refund, None while it has not."""


class SimulatedGateway:
    name = "simulated"

    def __init__(self, delay_seconds: int) -> None:
        self.delay = timedelta(seconds=delay_seconds)

    def outcome(self, refund: Refund, *, now: datetime) -> str | None:
        return SUCCEEDED if now >= refund.initiated_at + self.delay else None


class WebhookGateway:
    """A provider that reports through the refund-events webhook; polling learns nothing."""

    def __init__(self, name: str) -> None:
        self.name = name

    def outcome(self, refund: Refund, *, now: datetime) -> str | None:
        return None


def configured_gateway() -> PaymentGateway:
    name = settings.PAYMENT_GATEWAY
    if name == "simulated":
        return SimulatedGateway(settings.SIMULATED_REFUND_DELAY)
    return WebhookGateway(name)
