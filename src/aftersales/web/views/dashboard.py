"""The dashboards: the merchant's own shop (售后数据), the platform's view of every shop or one, the CSV
export of the same numbers, and the shops ranked by service score."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aftersales.accounts.models import Shop
from aftersales.analytics import export
from aftersales.analytics import queries as metrics
from aftersales.core import clock
from aftersales.core.actors import MERCHANT, PLATFORM, Actor
from aftersales.core.errors import DomainError
from aftersales.reviews import queries as reviews
from aftersales.web import dashboard
from aftersales.web.views.shared import error_text, role_required


def _params(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip()[:32] for key in ("from", "to", "shop")}


def _report(actor: Actor, params: dict[str, str]) -> dict[str, Any]:
    scope = metrics.scope_for(actor, params["shop"] or None)
    days = metrics.day_range(params["from"] or None, params["to"] or None, tz=scope.tz, now=clock.now())
    return metrics.metrics(scope, days)


def _page(request: HttpRequest, actor: Actor, template: str, params: dict[str, str]) -> HttpResponse:
    context: dict[str, Any] = {"params": params, "error": None, "error_message": None}
    if actor.role == PLATFORM:
        context["shops"] = list(Shop.objects.order_by("code").values("code", "name"))
    try:
        report = _report(actor, params)
    except DomainError as exc:
        context.update(error=exc, error_message=error_text(exc))
        return render(request, template, context, status=exc.status)
    context.update(dashboard.view(report))
    context["params"] = {**params, "from": report["from"], "to": report["to"]}
    return render(request, template, context)


@role_required(MERCHANT)
def merchant_dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    params = {**_params(request), "shop": ""}
    return _page(request, actor, "web/merchant/dashboard.html", params)


def _csv(request: HttpRequest, actor: Actor, template: str, params: dict[str, str]) -> HttpResponse:
    """The CSV download; bad input shows the dashboard with its message instead."""
    try:
        report = _report(actor, params)
    except DomainError:
        return _page(request, actor, template, params)
    return export.csv_response(report)


@role_required(MERCHANT)
def merchant_csv(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The same CSV as the API's ``/metrics.csv``, for the merchant's own shop."""
    return _csv(request, actor, "web/merchant/dashboard.html", {**_params(request), "shop": ""})


@role_required(PLATFORM)
def platform_dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _page(request, actor, "web/platform/dashboard.html", _params(request))


@role_required(PLATFORM)
def platform_csv(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _csv(request, actor, "web/platform/dashboard.html", _params(request))


@role_required(PLATFORM)
def rankings(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Shops by service score (the smoothed average of the last 90 days' ratings)."""
    return render(request, "web/platform/rankings.html", {"rows": reviews.ranking(limit=100)})
