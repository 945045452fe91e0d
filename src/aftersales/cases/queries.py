"""Read side for cases: the queue, one case with what its view shows (the view itself is ``views``'), its
timeline, an order's entry. Never writes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from aftersales.accounts.models import Shop
from aftersales.cases import policy
from aftersales.cases import transitions as t
from aftersales.cases.models import NO_DEADLINE, AfterSale, CaseEvent, CaseItem
from aftersales.cases.services.common import visible_to
from aftersales.core import rows
from aftersales.core.actors import BUYER, MERCHANT, Actor
from aftersales.core.errors import NotFound, ValidationFailed
from aftersales.logistics.models import Shipment
from aftersales.orders.models import Order
from aftersales.refunds.models import Refund
from aftersales.reviews.models import ServiceRating


def local(at: datetime | None, tz: str) -> str | None:
    """``at`` in the shop's time zone, as ISO 8601 text (``2026-11-27T11:59:36.475518+08:00``): what
    ``isoformat`` writes, written by orjson in about half the time (a page of cases writes some eighty).
    orjson writes an offset in whole minutes, so one with seconds (local mean time, before the zones'
    standard times) is left to ``isoformat``."""
    if at is None:
        return None
    there = at.astimezone(ZoneInfo(tz))
    offset = there.utcoffset()
    if offset is None or offset.seconds % 60 or offset.microseconds:
        return there.isoformat()
    return orjson.dumps(there)[1:-1].decode()


def _base() -> QuerySet[AfterSale]:
    return AfterSale.objects.select_related("shop", "refund", "rating").prefetch_related(
        Prefetch("items", queryset=CaseItem.objects.order_by("id")),
        Prefetch("shipments", queryset=Shipment.objects.order_by("id")),
    )


def _in_scope(qs: QuerySet[AfterSale], actor: Actor) -> QuerySet[AfterSale]:
    if actor.role == MERCHANT:
        return qs.filter(shop_id=actor.shop_id) if actor.shop_id is not None else qs.none()
    if actor.role == BUYER:
        return qs.filter(buyer_id=actor.buyer_id) if actor.buyer_id is not None else qs.none()
    return qs


def scoped(actor: Actor) -> QuerySet[AfterSale]:
    """The cases the actor may see, each read with what its view shows."""
    return _in_scope(_base(), actor)


def get_case(case_id: int, actor: Actor) -> AfterSale:
    """The case with what its view shows (``read_cases``); ``not_found`` for one the actor may not see."""
    found = read_cases([case_id], actor)
    if not found or not visible_to(found[0], actor):
        raise NotFound(what="after-sales case")
    return found[0]


def read_cases(ids: list[int], actor: Actor) -> list[AfterSale]:
    """The cases of ``ids`` that exist, in that order, each with what its view shows: its shop, refund, items
    and parcels and, for a buyer, who alone may rate, its rating. One statement per table for all of them,
    travelling together (one round trip on PostgreSQL), built once rather than compiled by the ORM each
    time. Each part is left where the ORM's ``select_related`` and ``prefetch_related`` leave theirs:
    ``case.shop``, ``case.refund`` and ``case.items.all()`` then read no more rows."""
    if not ids:
        return []
    cases, *parts = rows.fetch(rows.query(AfterSale, id=ids), *parts_of(ids, actor))
    _complete(cases, parts)
    by_id: dict[int, AfterSale] = {case.pk: case for case in cases}
    return [by_id[pk] for pk in ids if pk in by_id]


def parts_of(ids: list[int], actor: Actor) -> list[rows.Query[Any]]:
    """The statements of what the views of the cases ``ids`` show besides the cases' own rows."""
    parts: list[rows.Query[Any]] = [
        _shops_of_cases(ids),
        rows.query(Refund, case_id=ids),
        rows.query(CaseItem, case_id=ids),
        rows.query(Shipment, case_id=ids),
    ]
    if actor.role == BUYER:
        parts.append(rows.query(ServiceRating, case_id=ids))
    return parts


def _complete(cases: list[AfterSale], parts: list[list[Any]]) -> None:
    """Leave on each case the rows of its parts (read by the statements of ``parts_of``)."""
    shops, refunds, items, shipments, *rated = parts
    shop_of = {shop.pk: shop for shop in shops}
    refund_of = {refund.case_id: refund for refund in refunds}
    items_of, shipments_of = by_case(items), by_case(shipments)
    rating_of = {rating.case_id: rating for rating in rated[0]} if rated else None
    shop_is = AfterSale.shop.field.set_cached_value  # where ``select_related`` leaves it (``case.shop``)
    for case in cases:
        shop_is(case, shop_of[case.shop_id])
        # A missing one is remembered as None, as the ORM's outer join does: ``case.refund`` then raises
        # ``DoesNotExist`` without a query.
        AfterSale.refund.related.set_cached_value(case, refund_of.get(case.pk))
        if rating_of is not None:
            AfterSale.rating.related.set_cached_value(case, rating_of.get(case.pk))
        rows.attach(case, "items", items_of.get(case.pk, []))
        rows.attach(case, "shipments", shipments_of.get(case.pk, []))


def _shops_of_cases(ids: list[int]) -> rows.Query[Shop]:
    """Each shop once, however many of the cases are its (a join would read it again for every case)."""
    condition = f"t.id IN (SELECT shop_id FROM cases_aftersale WHERE id IN ({rows.marks(len(ids))}))"
    return rows.query_where(Shop, condition, ids, one=False)


def by_case(found: list[Any], case_of: Callable[[Any], int] = attrgetter("case_id")) -> dict[int, list[Any]]:
    """Rows of a case's parts by their case (instances, or values with ``itemgetter("case_id")``)."""
    grouped: dict[int, list[Any]] = {}
    for row in found:  # in id order
        grouped.setdefault(case_of(row), []).append(row)
    return grouped


def events(case_id: int, actor: Actor) -> list[dict[str, Any]]:
    """The case's timeline, oldest first, read with the case and its shop in one round trip."""
    found, timeline = rows.fetch(
        rows.query(AfterSale, related="shop", one=True, id=case_id),
        rows.query(CaseEvent, order_by="seq", case_id=case_id),
    )
    if not found or not visible_to(found[0], actor):
        raise NotFound(what="after-sales case")
    tz = found[0].shop.time_zone
    return [
        {
            "seq": ev.seq,
            "at": local(ev.at, tz),
            "action": ev.action,
            "actor": {"role": ev.actor_role, "id": ev.actor_id},
            "from_state": ev.from_state or None,
            "to_state": ev.to_state,
            "data": ev.data,
        }
        for ev in timeline
    ]


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = None
    type: str | None = None
    waiting_on: str | None = None
    order_sn: str | None = None
    overdue: bool | None = None
    shop: str | None = None
    sort: str = "deadline"
    cursor: str | None = None
    limit: int = 20


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
        at, pk = datetime.fromisoformat(str(raw[0])), int(raw[1])
        if at.tzinfo is None:
            raise ValueError("naive cursor time")
        return at, pk
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValidationFailed(field="cursor", message=_("cursor is not one this API gave out")) from exc


def _encode_cursor(key: str, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([key, pk]).encode()).decode()


def queue(actor: Actor, f: QueueFilter, *, now: datetime) -> tuple[list[AfterSale], str | None]:
    """A page of cases the actor may see, most urgent deadline first (or newest first), keyset-paged, each
    with what its view shows (as ``read_cases`` leaves it): the page's rows, then their parts."""
    found = queue_statement(actor, f, now=now)
    if found is None:
        return [], None
    (cases,) = rows.fetch(found)
    page = cases[: f.limit]
    if page:
        ids = [case.pk for case in page]
        _complete(page, rows.fetch(*parts_of(ids, actor)))
    return page, next_cursor([vars(c) for c in cases], f)


def next_cursor(cases: Sequence[Mapping[str, Any]], f: QueueFilter) -> str | None:
    """Where the next page starts, when ``cases`` (read one past the page) hold more than a page."""
    if len(cases) <= f.limit:
        return None
    last = cases[f.limit - 1]
    key_at = last["due_sort"] if f.sort == "deadline" else last["created_at"]
    return _encode_cursor((key_at or NO_DEADLINE).isoformat(), last["id"])


def queue_statement(actor: Actor, f: QueueFilter, *, now: datetime) -> rows.Query[AfterSale] | None:
    """The statement that reads the cases of a queue page (one more than the page, to know if another
    follows); None when the actor can see no case. Written out rather than compiled by the ORM on every
    request: it is the read every merchant repeats, and each of its shapes is served in order by a
    ``case_queue_*`` index that leads with the shop (the EXPLAIN tests run this statement)."""
    if f.sort not in ("deadline", "-created"):
        raise ValidationFailed(field="sort", message=_("sort is deadline or -created"))
    if f.state and f.state not in t.STATES:
        raise ValidationFailed(field="state", message=_("unknown state '%(state)s'") % {"state": f.state})
    if f.type and f.type not in t.TYPES:
        raise ValidationFailed(field="type", message=_("unknown type '%(type)s'") % {"type": f.type})
    where: list[str] = []
    params: list[Any] = []
    scope = _scope_condition(actor, f.shop)
    if scope is None:
        return None
    for condition, value in scope:
        where.append(condition)
        params.append(value)
    for column in ("state", "type", "waiting_on", "order_sn"):
        if getattr(f, column):
            where.append(f"t.{column} = %s")
            params.append(getattr(f, column))
    if f.overdue is not None:
        where.append("t.due_sort < %s" if f.overdue else "t.due_sort >= %s")
        params.append(rows.stamp(now))
    key, after, direction = (
        ("t.due_sort", ">", "") if f.sort == "deadline" else ("t.created_at", "<", " DESC")
    )
    if f.cursor:
        at, pk = _decode_cursor(f.cursor)
        where.append(f"({key} {after} %s OR ({key} = %s AND t.id {after} %s))")
        params.extend([rows.stamp(at), rows.stamp(at), pk])
    return rows.query_where(
        AfterSale,
        " AND ".join(where) or "1 = 1",
        params,
        order_by=f"{key}{direction}, t.id{direction}",
        limit=f.limit + 1,
    )


def _scope_condition(actor: Actor, shop_code: str | None) -> list[tuple[str, Any]] | None:
    """Which cases the actor may see (and of which shop, when the filter names one), or None for none."""
    conditions: list[tuple[str, Any]] = []
    if actor.role == MERCHANT:
        if actor.shop_id is None:
            return None
        conditions.append(("t.shop_id = %s", actor.shop_id))
    elif actor.role == BUYER:
        if actor.buyer_id is None:
            return None
        conditions.append(("t.buyer_id = %s", actor.buyer_id))
    if shop_code:
        shop = rows.get(Shop, code=shop_code)
        if shop is None:
            return None
        conditions.append(("t.shop_id = %s", shop.pk))
    return conditions


def order_entry(order: Order, *, now: datetime) -> dict[str, Any]:
    """The after-sales entry (售后入口) of an order, as the buyer sees it."""
    used = AfterSale.objects.filter(shop_id=order.shop_id, order=order, counts_as_application=True).count()
    window_end = policy.window_ends_at(order.signed_at, order.shop.time_zone) if order.signed_at else None
    reason = order.entry_closed_reason
    if not reason and used >= policy.MAX_APPLICATIONS:
        reason = "max_applications_reached"
    if not reason and window_end is not None and now >= window_end:
        reason = "window_expired"
    return {
        "open": not reason,
        "closed_reason": reason or None,
        "applications_used": used,
        "applications_left": max(policy.MAX_APPLICATIONS - used, 0),
        "window_ends_at": local(window_end, order.shop.time_zone),
    }
