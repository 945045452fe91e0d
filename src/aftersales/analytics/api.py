"""HTTP: after-sales metrics of a shop (merchant) or of every shop or one (platform), as JSON or CSV."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from aftersales.analytics import export, queries
from aftersales.api.auth import require
from aftersales.core import clock
from aftersales.core.actors import MERCHANT, PLATFORM

router = Router(tags=["analytics"])


class MetricsQuery(Schema):
    date_from: str | None = Field(
        None, alias="from", max_length=32, description="first day, YYYY-MM-DD in the shop's time zone"
    )
    date_to: str | None = Field(
        None, alias="to", max_length=32, description="last day (inclusive), YYYY-MM-DD; default today"
    )
    shop: str | None = Field(None, max_length=64, description="platform only: one shop's code")


class ReasonCount(Schema):
    reason_code: str
    count: int


class SkuCount(Schema):
    sku: str
    count: int


class DayOut(Schema):
    date: str
    orders: int
    cases: int
    refunds: int
    interventions: int


class MetricsOut(Schema):
    date_from: str = Field(alias="from")
    date_to: str = Field(alias="to")
    shop: str | None
    orders: int
    cases: int
    after_sales_rate: float | None
    refund_rate: float | None
    intervention_rate: float | None
    dispute_refund_rate: float | None
    first_response_p50_s: int | None
    first_response_p90_s: int | None
    resolution_p50_s: int | None
    deadlines_met_rate: float | None
    rating_avg: float | None
    rating_count: int
    service_score: float
    top_reasons: list[ReasonCount]
    top_skus: list[SkuCount]
    per_day: list[DayOut]


def _report(request: HttpRequest, q: MetricsQuery) -> dict[str, Any]:
    actor = require(request, MERCHANT, PLATFORM)
    scope = queries.scope_for(actor, q.shop)
    days = queries.day_range(q.date_from, q.date_to, tz=scope.tz, now=clock.now())
    return queries.metrics(scope, days)


@router.get("/metrics", response=MetricsOut, by_alias=True)
def metrics(request: HttpRequest, q: Query[MetricsQuery]) -> dict[str, Any]:
    return _report(request, q)


@router.get("/metrics.csv", response=None)
def metrics_csv(request: HttpRequest, q: Query[MetricsQuery]) -> HttpResponse:
    return export.csv_response(_report(request, q))
