"""Accounts commands: shops, buyers, web logins and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from aftersales.accounts.models import ApiToken, Buyer, Membership, Shop
from aftersales.core import clock
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.core.errors import NotFound, Unauthenticated, ValidationFailed

TOKEN_PREFIX = "as_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_shop(code: str, *, name: str, default_return_address: dict[str, str] | None = None) -> Shop:
    code = code.strip()
    if not code or len(code) > 64:
        raise ValidationFailed(field="code", message=_("shop code must be 1-64 characters"))
    try:
        with transaction.atomic():
            return Shop.objects.create(
                code=code,
                name=name,
                time_zone=settings.SHOP_TIME_ZONE,
                default_return_address=default_return_address,
                created_at=clock.now(),
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            field="code", message=_("shop %(code)s already exists") % {"code": code}
        ) from exc


def get_shop(code: str) -> Shop:
    try:
        return Shop.objects.get(code=code)
    except Shop.DoesNotExist as exc:
        raise NotFound(what="shop") from exc


def ensure_buyer(external_id: str, *, name: str = "") -> Buyer:
    external_id = external_id.strip()
    if not external_id or len(external_id) > 64:
        raise ValidationFailed(field="buyer_id", message=_("buyer id must be 1-64 characters"))
    buyer, _created = Buyer.objects.get_or_create(
        external_id=external_id, defaults={"name": name, "created_at": clock.now()}
    )
    return buyer


def create_token(
    *, role: str, shop: Shop | None = None, buyer: Buyer | None = None, name: str = ""
) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is shown once and stored only as a SHA-256 hash."""
    if role == MERCHANT and shop is None:
        raise ValidationFailed(field="shop", message=_("a merchant token needs a shop"))
    if role == BUYER and buyer is None:
        raise ValidationFailed(field="buyer", message=_("a buyer token needs a buyer"))
    if role not in (BUYER, MERCHANT, PLATFORM):
        raise ValidationFailed(field="role", message=_("role must be buyer, merchant or platform"))
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        prefix=key[:10],
        key_hash=_hash(key),
        role=role,
        shop=shop if role == MERCHANT else None,
        buyer=buyer if role == BUYER else None,
        created_at=clock.now(),
    )
    return token, key


def actor_for_token(key: str) -> Actor:
    token = (
        ApiToken.objects.select_related("buyer").filter(key_hash=_hash(key), revoked_at__isnull=True).first()
    )
    if token is None:
        raise Unauthenticated()
    if token.role == BUYER and token.buyer is not None:
        return Actor(role=BUYER, id=token.buyer.external_id, buyer_id=token.buyer_id)
    if token.role == MERCHANT:
        return Actor(role=MERCHANT, id=token.name or f"token:{token.pk}", shop_id=token.shop_id)
    return Actor(role=PLATFORM, id=token.name or f"token:{token.pk}")


def actor_for_membership(membership: Membership, username: str) -> Actor:
    if membership.role == BUYER and membership.buyer is not None:
        return Actor(role=BUYER, id=membership.buyer.external_id, buyer_id=membership.buyer_id)
    return Actor(role=membership.role, id=username, shop_id=membership.shop_id)


def create_user(
    username: str, *, password: str, role: str, shop: Shop | None = None, buyer_id: str | None = None
) -> Membership:
    if role not in (BUYER, MERCHANT, PLATFORM):
        raise ValidationFailed(field="role", message=_("role must be buyer, merchant or platform"))
    if role == MERCHANT and shop is None:
        raise ValidationFailed(field="shop", message=_("a merchant login needs --shop"))
    if len(password) < 8:
        raise ValidationFailed(field="password", message=_("the password must have at least 8 characters"))
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(username=username).exists():
            raise ValidationFailed(
                field="username", message=_("user %(username)s already exists") % {"username": username}
            )
        user = user_model.objects.create_user(username=username, password=password)
        buyer = ensure_buyer(buyer_id or username) if role == BUYER else None
        if buyer is not None and buyer.user_id is None:
            buyer.user = user
            buyer.save(update_fields=["user"])
        return Membership.objects.create(
            user=user, role=role, shop=shop if role == MERCHANT else None, buyer=buyer
        )


def _parse_days(values: list[str], field: str) -> list[str]:
    days = []
    for value in values:
        try:
            days.append(date.fromisoformat(value.strip()).isoformat())
        except ValueError as exc:
            raise ValidationFailed(
                field=field,
                message=_("'%(value)s' is not a date in the form YYYY-MM-DD, e.g. 2026-12-31")
                % {"value": value},
            ) from exc
    return days


def update_shop_calendar(
    shop: Shop,
    *,
    holidays: list[str] | None = None,
    working_days: list[str] | None = None,
    default_return_address: dict[str, str] | None = None,
) -> Shop:
    """A shop's own days off and make-up working days on top of the national calendar, and its default
    return address. Lists replace what was there; a date in another format is refused and nothing changes."""
    new_holidays = sorted(set(_parse_days(holidays, "extra_holidays"))) if holidays is not None else None
    new_working = (
        sorted(set(_parse_days(working_days, "extra_working_days"))) if working_days is not None else None
    )
    both = set(new_holidays or shop.extra_holidays) & set(new_working or shop.extra_working_days)
    if both:
        raise ValidationFailed(
            field="extra_holidays",
            message=_("%(days)s cannot be a holiday and a working day") % {"days": ", ".join(sorted(both))},
        )
    if default_return_address is not None:
        cleaned = {k: str(default_return_address.get(k, "")).strip() for k in ("name", "phone", "address")}
        if not all(cleaned.values()):
            raise ValidationFailed(
                field="default_return_address", message=_("a return address needs name, phone and address")
            )
        shop.default_return_address = cleaned
    if new_holidays is not None:
        shop.extra_holidays = new_holidays
    if new_working is not None:
        shop.extra_working_days = new_working
    shop.save(update_fields=["extra_holidays", "extra_working_days", "default_return_address"])
    return shop
