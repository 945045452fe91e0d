"""Merchant-side metrics over a range of days (domain.md section 10), read from the cases' timelines, the
orders, the timers and the ratings; never from counters kept by hand. Never writes.

The range is whole days, ``from`` to ``to`` inclusive, in the shop's time zone (for all shops together, the
platform's ``AFTERSALES_SHOP_TIME_ZONE``). Each rate is a share of the **orders paid in the range**:

============================  ==============================================================================
``after_sales_rate``          orders with a case opened (the case's first event) in the range
``refund_rate``               orders with a refund that succeeded (a ``settle`` event) in the range
``intervention_rate``         orders with a case that went to ``platform_review`` in the range (escalated by
                              the buyer or the platform, or sent there by a timer)
``dispute_refund_rate``       orders with a refund the platform decided (``decide:refund``) in the range
============================  ==============================================================================

A rate is ``null`` when no order was paid in the range. It can exceed 1: the numerators count orders paid
earlier too, as the platforms do.

Over the **cases opened in the range**, followed up to now:

- ``first_response_p50_s``, ``first_response_p90_s``: seconds from the buyer's application to the
  merchant's first answer, that is the first event the merchant caused on the case or the first chat text the
  merchant sent on the order after it, whichever is first. Cases the merchant proposed, and cases not yet
  answered, are left out. Percentiles are nearest-rank: the value at position ⌈p·n⌉ of the sorted list.
- ``resolution_p50_s``: seconds from opening to the first final state (refunded, completed, closed), over the
  cases that reached one.
- ``deadlines_met_rate``: of the deadlines the merchant had on those cases (the states that wait on the
  merchant) that have come to an end, the share whose timer found the work already done (``obsolete``)
  rather than acting (``fired``). A timer replaced because a carrier scan moved its deadline is not counted;
  its successor is.
- ``rating_avg`` and ``rating_count``: the buyers' ratings of those cases.
- ``top_reasons`` and ``top_skus``: the five most frequent, by number of cases.

``service_score`` is the smoothed score of ``reviews/models.py`` over the 90 days that end with ``to``.
``per_day`` counts, for each day: orders paid, cases opened, and orders with a case opened, a refund
succeeded, an escalation, a platform-decided refund on that day (a sum over days can exceed the range's
total when one order has such events on two days)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, Model, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from aftersales.accounts.models import Shop
from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale, CaseEvent, CaseItem
from aftersales.chat.models import Message
from aftersales.core.actors import MERCHANT, PLATFORM, Actor
from aftersales.core.bounds import FIRST_DAY, LAST_DAY
from aftersales.core.errors import Forbidden, NotFound, ValidationFailed
from aftersales.orders.models import Order
from aftersales.reviews.models import WINDOW as SCORE_WINDOW
from aftersales.reviews.models import ServiceRating, smoothed_score
from aftersales.timers.models import FIRED, OBSOLETE, Timer

MAX_DAYS = 366
DEFAULT_DAYS = 30
TOP = 5
MERCHANT_STATES = frozenset(state for state, who in t.WAITING_ON.items() if who == MERCHANT)
M = TypeVar("M", bound=Model)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

DAY_COUNTS = ("orders", "cases", "orders_with_cases", "refunds", "interventions", "dispute_refunds")
RATES = {
    "after_sales_rate": "orders_with_cases",
    "refund_rate": "refunds",
    "intervention_rate": "interventions",
    "dispute_refund_rate": "dispute_refunds",
}
EVENT_COUNTS = {
    "cases": Count("case_id", distinct=True, filter=Q(seq=1)),
    "orders_with_cases": Count("case__order_id", distinct=True, filter=Q(seq=1)),
    "refunds": Count("case__order_id", distinct=True, filter=Q(action="settle")),
    "interventions": Count(
        "case__order_id",
        distinct=True,
        filter=Q(to_state=t.PLATFORM_REVIEW) & ~Q(from_state=t.PLATFORM_REVIEW),
    ),
    "dispute_refunds": Count("case__order_id", distinct=True, filter=Q(action="decide:refund")),
}


@dataclass(frozen=True)
class Scope:
    """One shop, or every shop (``shop is None``), and the time zone its days are counted in."""

    shop: Shop | None
    tz: ZoneInfo

    def only(self, qs: QuerySet[M]) -> QuerySet[M]:
        return qs if self.shop is None else qs.filter(shop_id=self.shop.pk)


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """Midnight after the last day: the range is ``start <= at < end``."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=self.tz)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def scope_for(actor: Actor, shop_code: str | None) -> Scope:
    """A merchant sees their own shop (naming another is ``not_found``); the platform every shop, or one."""
    if actor.role == MERCHANT:
        shop = Shop.objects.filter(pk=actor.shop_id).first() if actor.shop_id is not None else None
        if shop is None or (shop_code and shop_code != shop.code):
            raise NotFound(what="shop")
        return Scope(shop=shop, tz=ZoneInfo(shop.time_zone))
    if actor.role != PLATFORM:
        raise Forbidden(role=actor.role, allowed_roles=[MERCHANT, PLATFORM])
    if not shop_code:
        return Scope(shop=None, tz=ZoneInfo(settings.SHOP_TIME_ZONE))
    shop = Shop.objects.filter(code=shop_code).first()
    if shop is None:
        raise NotFound(what="shop")
    return Scope(shop=shop, tz=ZoneInfo(shop.time_zone))


def _parse_day(field: str, value: str) -> date:
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        message = _("'%(field)s' must be a date written YYYY-MM-DD, such as 2026-11-01; got '%(value)s'.")
        raise ValidationFailed(field=field, message=message % {"field": field, "value": value}) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        message = _("'%(field)s' must be a day from %(first)s to %(last)s; got '%(value)s'.")
        values = {"field": field, "first": FIRST_DAY, "last": LAST_DAY, "value": value}
        raise ValidationFailed(field=field, message=message % values)
    return day


def day_range(date_from: str | None, date_to: str | None, *, tz: ZoneInfo, now: datetime) -> DayRange:
    """The days asked for; without ``to`` it ends today, without ``from`` it covers 30 days."""
    last = _parse_day("to", date_to) if date_to else now.astimezone(tz).date()
    first = _parse_day("from", date_from) if date_from else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        message = _("'from' (%(first)s) is after 'to' (%(last)s); the range needs from <= to.")
        raise ValidationFailed(field="from", message=message % {"first": first, "last": last})
    days = (last - first).days + 1
    if days > MAX_DAYS:
        message = _("The range covers %(days)s days; at most %(max)s days can be asked for at once.")
        raise ValidationFailed(field="to", message=message % {"days": days, "max": MAX_DAYS})
    return DayRange(first=first, last=last, tz=tz)


def metrics(scope: Scope, days: DayRange) -> dict[str, Any]:
    """The numbers of the module docstring, as the API returns them."""
    per_day = _per_day(scope, days)
    totals = _totals(scope, days, orders=sum(d["orders"] for d in per_day))
    cohort = (
        scope.only(CaseEvent.objects.all())
        .filter(seq=1, at__gte=days.start, at__lt=days.end)
        .values("case_id")
    )
    first_response, resolution = _durations(cohort)
    ratings = ServiceRating.objects.filter(case_id__in=cohort).aggregate(n=Count("id"), s=Sum("score"))
    rating_count = int(ratings["n"] or 0)
    return {
        "from": days.first.isoformat(),
        "to": days.last.isoformat(),
        "shop": scope.shop.code if scope.shop is not None else None,
        "orders": totals["orders"],
        "cases": totals["cases"],
        **{name: _rate(totals[numerator], totals["orders"]) for name, numerator in RATES.items()},
        "first_response_p50_s": _percentile(first_response, 0.5),
        "first_response_p90_s": _percentile(first_response, 0.9),
        "resolution_p50_s": _percentile(resolution, 0.5),
        "deadlines_met_rate": _deadlines_met(scope, cohort),
        "rating_avg": round(int(ratings["s"] or 0) / rating_count, 2) if rating_count else None,
        "rating_count": rating_count,
        "service_score": _service_score(scope, days),
        "top_reasons": _top_reasons(cohort),
        "top_skus": _top_skus(cohort),
        "totals": totals,
        "per_day": per_day,
    }


def _rate(numerator: int, orders: int) -> float | None:
    return round(numerator / orders, 4) if orders else None


def _events(scope: Scope, days: DayRange) -> QuerySet[CaseEvent]:
    return scope.only(CaseEvent.objects.all()).filter(at__gte=days.start, at__lt=days.end)


def _per_day(scope: Scope, days: DayRange) -> list[dict[str, Any]]:
    orders = (
        scope.only(Order.objects.all())
        .filter(paid_at__gte=days.start, paid_at__lt=days.end)
        .annotate(day=TruncDate("paid_at", tzinfo=days.tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    paid = {row["day"]: int(row["n"]) for row in orders}
    events = (
        _events(scope, days)
        .annotate(day=TruncDate("at", tzinfo=days.tz))
        .values("day")
        .annotate(**EVENT_COUNTS)
        .order_by()
    )
    by_day: dict[date, dict[str, Any]] = {row["day"]: dict(row) for row in events}
    rows = []
    for day in days.days():
        counts = by_day.get(day, {})
        row: dict[str, Any] = {"date": day.isoformat(), "orders": paid.get(day, 0)}
        row.update({name: int(counts.get(name) or 0) for name in EVENT_COUNTS})
        rows.append(row)
    return rows


def _totals(scope: Scope, days: DayRange, *, orders: int) -> dict[str, int]:
    counts = _events(scope, days).aggregate(**EVENT_COUNTS)
    return {"orders": orders, **{name: int(counts[name] or 0) for name in EVENT_COUNTS}}


def _durations(cohort: QuerySet[Any]) -> tuple[list[int], list[int]]:
    """Seconds to the merchant's first answer (buyer-opened, answered cases), and to resolution."""
    merchant_text = (
        Message.objects.filter(
            shop_id=OuterRef("shop_id"),
            conversation__order_id=OuterRef("order_id"),
            sender_role=MERCHANT,
            card_type="",
            at__gte=OuterRef("created_at"),
        )
        .order_by("at")
        .values("at")[:1]
    )
    rows = (
        AfterSale.objects.filter(pk__in=cohort)
        .annotate(
            opened_at=_first_event_at(seq=1),
            merchant_event_at=_first_event_at(seq__gt=1, actor_role=MERCHANT),
            merchant_text_at=Subquery(merchant_text),
            resolved_at=_first_event_at(to_state__in=t.FINAL_STATES),
        )
        .values("initiated_by", "opened_at", "merchant_event_at", "merchant_text_at", "resolved_at")
    )
    first_response: list[int] = []
    resolution: list[int] = []
    for row in rows:
        opened = row["opened_at"]
        answers = [at for at in (row["merchant_event_at"], row["merchant_text_at"]) if at is not None]
        if row["initiated_by"] != MERCHANT and answers:
            first_response.append(_seconds(min(answers) - opened))
        if row["resolved_at"] is not None:
            resolution.append(_seconds(row["resolved_at"] - opened))
    return first_response, resolution


def _first_event_at(**conditions: Any) -> Subquery:
    """The time of the case's first event that meets ``conditions``."""
    return Subquery(
        CaseEvent.objects.filter(case_id=OuterRef("pk"), **conditions).order_by("seq").values("at")[:1]
    )


def _seconds(delta: timedelta) -> int:
    return max(int(delta.total_seconds()), 0)


def _percentile(values: list[int], p: float) -> int | None:
    """Nearest rank: the value at position ⌈p·n⌉ (1-based) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)), 1) - 1]


def _deadlines_met(scope: Scope, cohort: QuerySet[Any]) -> float | None:
    replaced = Timer.objects.filter(
        shop_id=OuterRef("shop_id"),
        case_id=OuterRef("case_id"),
        state=OuterRef("state"),
        created_at=OuterRef("fired_at"),
        id__gt=OuterRef("id"),
    )
    ended = (
        scope.only(
            Timer.objects.filter(case_id__in=cohort, state__in=MERCHANT_STATES, status__in=(FIRED, OBSOLETE))
        )
        .exclude(Q(status=OBSOLETE) & Exists(replaced))
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["status"]: int(row["n"]) for row in ended}
    decided = counts.get(FIRED, 0) + counts.get(OBSOLETE, 0)
    return round(counts.get(OBSOLETE, 0) / decided, 4) if decided else None


def _service_score(scope: Scope, days: DayRange) -> float:
    window = scope.only(ServiceRating.objects.all()).filter(
        created_at__gt=days.end - SCORE_WINDOW, created_at__lt=days.end
    )
    totals = window.aggregate(n=Count("id"), s=Sum("score"))
    return float(smoothed_score(int(totals["n"] or 0), int(totals["s"] or 0)))


def _top_reasons(cohort: QuerySet[Any]) -> list[dict[str, Any]]:
    rows = (
        AfterSale.objects.filter(pk__in=cohort)
        .values("reason_code")
        .annotate(count=Count("id"))
        .order_by("-count", "reason_code")[:TOP]
    )
    return [{"reason_code": row["reason_code"], "count": int(row["count"])} for row in rows]


def _top_skus(cohort: QuerySet[Any]) -> list[dict[str, Any]]:
    rows = (
        CaseItem.objects.filter(case_id__in=cohort)
        .values("sku_code")
        .annotate(count=Count("case_id", distinct=True))
        .order_by("-count", "sku_code")[:TOP]
    )
    return [{"sku": row["sku_code"], "count": int(row["count"])} for row in rows]


CSV_SCALARS = (
    "first_response_p50_s",
    "first_response_p90_s",
    "resolution_p50_s",
    "deadlines_met_rate",
    "rating_avg",
    "rating_count",
    "service_score",
)


def csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report as a table: a header, one row per day, and a ``total`` row that also carries the numbers
    measured over the range's cases. Empty cells where a number is undefined or not per day."""
    header = ["date", *DAY_COUNTS, *RATES, *CSV_SCALARS]
    rows: list[list[Any]] = [header]
    for day in report["per_day"]:
        rates = [_rate(day[numerator], day["orders"]) for numerator in RATES.values()]
        rows.append([day["date"], *(day[name] for name in DAY_COUNTS), *rates, *[None] * len(CSV_SCALARS)])
    totals = report["totals"]
    rows.append(
        [
            "total",
            *(totals[name] for name in DAY_COUNTS),
            *(report[name] for name in RATES),
            *(report[name] for name in CSV_SCALARS),
        ]
    )
    return [["" if cell is None else cell for cell in row] for row in rows]
