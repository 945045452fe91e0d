"""What every page shares: who is logged in and in which role, the way home, and errors as page text."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Membership
from aftersales.accounts.services import actor_for_membership
from aftersales.core import clock
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.core.errors import DomainError, NotFound, ValidationFailed
from aftersales.web import queries

P = ParamSpec("P")
RoleView = Callable[Concatenate[HttpRequest, Actor, P], HttpResponse]
View = Callable[Concatenate[HttpRequest, P], HttpResponse]

HOMES = {MERCHANT: "/workbench/", BUYER: "/buyer/", PLATFORM: "/platform/"}

# A service's validation_error names the field it refused; the page says what to do, in the page's language.
FIELD_HINTS = {
    "reason": _("Give a reason the other side can read."),
    "note": _("Write a note; it is kept in the case record."),
    "return_address": _("A return address needs a name, a phone number and an address."),
    "address": _("An address needs a name, a phone number and an address."),
    "items": _("Choose at least one item, no more than the order has."),
    "evidence": _("Give up to 9 photo links, each starting with http:// or https://."),
    "text": _("A message has 1 to 2000 characters."),
    "freight_fen": _("Return freight must be between 0 and 1000 yuan."),
    "reason_code": _("Choose a reason from the list."),
    "type": _("Choose a type from the list."),
    "decision": _("Choose one of the decisions."),
    "cursor": _("This page link is out of date; start again from the first page."),
    "state": _("Choose a state from the list."),
    "score": _("Choose a score from 1 to 5 stars."),
    "tags": _("Choose tags from the list."),
    "comment": _("A comment has at most 500 characters."),
}


def membership_of(request: HttpRequest) -> Membership | None:
    if not request.user.is_authenticated:
        return None
    return Membership.objects.select_related("shop", "buyer").filter(user_id=request.user.pk).first()


def error_text(error: DomainError) -> str:
    """The message a page shows for a refused command: the service's own, in the page's language."""
    if isinstance(error, ValidationFailed):
        hint = FIELD_HINTS.get(str(error.params.get("field", "")))
        if hint is not None:
            return str(hint)
    return error.detail()


def role_required(role: str) -> Callable[[RoleView[P]], View[P]]:
    """Only logged-in users of ``role`` get in; the view receives their Actor. Others see a 403 page with
    the way to their own home. Times on the page are shown in the shop's zone."""

    def decorate(view: RoleView[P]) -> View[P]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_of(request)
            if membership is None or membership.role != role:
                return forbidden(request, membership)
            zone = membership.shop.time_zone if membership.shop is not None else settings.SHOP_TIME_ZONE
            timezone.activate(ZoneInfo(zone))
            try:
                actor = actor_for_membership(membership, request.user.get_username())
                return view(request, actor, *args, **kwargs)
            finally:
                timezone.deactivate()

        return wrapped

    return decorate


def forbidden(request: HttpRequest, membership: Membership | None) -> HttpResponse:
    home = HOMES.get(membership.role) if membership is not None else None
    return render(request, "web/forbidden.html", {"home": home}, status=403)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """A local address to go back to after a POST, from the form's ``next`` field."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """``/`` sends each role to its own home."""
    membership = membership_of(request)
    if membership is not None and membership.role in HOMES:
        return redirect(HOMES[membership.role])
    return render(request, "web/home.html", {"membership": membership})


def case_context(case_id: int, actor: Actor) -> dict[str, Any]:
    """What every role's case page starts from; another shop's or buyer's case is a 404."""
    try:
        return queries.case_page(case_id, actor, now=clock.now())
    except NotFound as exc:
        raise Http404() from exc


def order_context(order_sn: str, actor: Actor) -> dict[str, Any]:
    """What an order page (its chat and after-sales entry) starts from; another's order is a 404."""
    try:
        return queries.order_page(order_sn, actor, now=clock.now())
    except NotFound as exc:
        raise Http404() from exc


def render_forms(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    forms_by_action: dict[str, forms.Form],
    *,
    bound: forms.Form | None,
    action: str | None,
    error: DomainError | None,
    status: int,
) -> HttpResponse:
    """Render a page with its action forms; after a refused action, its form comes back as the user filled
    it in, open, with the error's message."""
    if bound is not None and action is not None:
        forms_by_action[action] = bound
    context["forms"] = forms_by_action
    context.update(open_action=action, error=error, error_message=error_text(error) if error else None)
    return render(request, template, context, status=status)
