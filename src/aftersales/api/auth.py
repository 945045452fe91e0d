"""Bearer tokens: the token decides the role and the shop or buyer."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from aftersales.accounts.services import actor_for_token
from aftersales.core.actors import Actor
from aftersales.core.errors import Forbidden, Unauthenticated


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        try:
            return actor_for_token(token)
        except Unauthenticated:
            return None


def actor_of(request: HttpRequest) -> Actor:
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor):
        raise Unauthenticated()
    return actor


def require(request: HttpRequest, *roles: str) -> Actor:
    actor = actor_of(request)
    if actor.role not in roles:
        raise Forbidden(role=actor.role, allowed_roles=list(roles))
    return actor
