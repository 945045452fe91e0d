"""Who is acting: a role and an identity, with the shop or buyer that scopes what they may see."""

from __future__ import annotations

from dataclasses import dataclass

BUYER, MERCHANT, PLATFORM, SYSTEM, PAYMENT = "buyer", "merchant", "platform", "system", "payment"
ROLES = (BUYER, MERCHANT, PLATFORM, SYSTEM, PAYMENT)


@dataclass(frozen=True)
class Actor:
    role: str
    id: str
    shop_id: int | None = None
    buyer_id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(role=SYSTEM, id="system")

    @classmethod
    def payment(cls, gateway: str) -> Actor:
        return cls(role=PAYMENT, id=gateway)
