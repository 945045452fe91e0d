"""Read side for cases: the queue, one case with what the caller may do, its timeline, an order's entry.
Never writes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from django.db.models import Prefetch, QuerySet

from aftersales.accounts.models import Shop
from aftersales.cases import policy
from aftersales.cases import transitions as t
from aftersales.cases.models import NO_DEADLINE, AfterSale, CaseEvent, CaseItem
from aftersales.cases.pdd import pdd_status
from aftersales.cases.services.common import visible_to
from aftersales.core import rows
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.core.errors import NotFound, ValidationFailed
from aftersales.logistics.models import REPLACEMENT, RETURN, Shipment
from aftersales.orders.models import Order
from aftersales.refunds.models import Refund
from aftersales.reviews import queries as reviews
from aftersales.reviews.models import ServiceRating
from aftersales.risk import queries as risk


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
    cases, *parts = rows.fetch(rows.query(AfterSale, id=ids), *_parts_of(ids, actor))
    _complete(cases, parts)
    by_id: dict[int, AfterSale] = {case.pk: case for case in cases}
    return [by_id[pk] for pk in ids if pk in by_id]


def _parts_of(ids: list[int], actor: Actor) -> list[rows.Query[Any]]:
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
    """Leave on each case the rows of its parts (read by the statements of ``_parts_of``)."""
    shops, refunds, items, shipments, *rated = parts
    shop_of = {shop.pk: shop for shop in shops}
    refund_of = {refund.case_id: refund for refund in refunds}
    items_of, shipments_of = _by_case(items), _by_case(shipments)
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


def _by_case(found: list[Any], case_of: Callable[[Any], int] = attrgetter("case_id")) -> dict[int, list[Any]]:
    """Rows of a case's parts by their case (instances, or values with ``itemgetter("case_id")``)."""
    grouped: dict[int, list[Any]] = {}
    for row in found:  # in id order
        grouped.setdefault(case_of(row), []).append(row)
    return grouped


def _shipment(shipment: Mapping[str, Any] | None, tz: str) -> dict[str, Any] | None:
    if shipment is None:
        return None
    return {
        "carrier": shipment["carrier"],
        "tracking_no": shipment["tracking_no"],
        "freight_fen": shipment["freight_fen"],
        "shipped_at": local(shipment["shipped_at"], tz),
        "picked_up_at": local(shipment["picked_up_at"], tz),
        "delivered_at": local(shipment["delivered_at"], tz),
    }


_UNREAD: Any = object()


def _refund_of(case: AfterSale) -> Refund | None:
    # Left by ``read_cases`` (None when the case has none): no exception to catch for every case without one.
    refund: Any = AfterSale.refund.related.get_cached_value(case, default=_UNREAD)
    if refund is _UNREAD:
        try:
            refund = case.refund
        except Refund.DoesNotExist:
            return None
    return refund


def _refund(refund: Mapping[str, Any] | None, tz: str) -> dict[str, Any] | None:
    if refund is None:
        return None
    return {
        "id": refund["id"],
        "status": refund["status"],
        "amount_fen": refund["amount_fen"],
        "goods_fen": refund["goods_fen"],
        "freight_fen": refund["freight_fen"],
        "initiated_at": local(refund["initiated_at"], tz),
        "settled_at": local(refund["settled_at"], tz),
        "due_by": local(refund["due_by"], tz),
        "attempts": refund["attempts"],
        "failure_reason": refund["failure_reason"],
    }


@dataclass(frozen=True)
class _Read:
    """A case as its view reads it: its own values and its parts' (each by field attname), from a model
    instance and what was read with it (``case_view``) or from a page read as values (``queue_views``)."""

    case: Mapping[str, Any]
    shop: Mapping[str, Any]
    items: list[Mapping[str, Any]]
    refund: Mapping[str, Any] | None
    shipments: list[Mapping[str, Any]]
    evaluable: bool


def case_view(
    case: AfterSale, actor: Actor, *, risk_flags: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The case as ``actor`` sees it. Merchants and the platform also get ``risk_flags`` (pass them in when
    viewing many cases: ``case_views`` fetches them for a whole page at once); buyers never do."""
    if actor.role in (MERCHANT, PLATFORM) and risk_flags is None:
        risk_flags = risk.risk_flags_for([case], shop_id=_flag_scope(actor))[case.pk]
    refund = _refund_of(case)
    read = _Read(
        case=vars(case),
        shop=vars(case.shop),
        items=[vars(i) for i in rows.related_rows(case, "items")],
        refund=vars(refund) if refund is not None else None,
        shipments=[vars(s) for s in rows.related_rows(case, "shipments")],
        evaluable=reviews.can_evaluate(case, actor),
    )
    return _view(read, actor, risk_flags)


def _view(read: _Read, actor: Actor, risk_flags: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The view of a case from its values: the one shape of a case in the API, whichever way it was read."""
    case = read.case
    tz = read.shop["time_zone"]
    shipments = {s["kind"]: s for s in read.shipments}
    state, case_type = case["state"], case["type"]
    view = {
        "id": case["id"],
        "shop": read.shop["code"],
        "order_sn": case["order_sn"],
        "type": case_type,
        "state": state,
        "close_reason": case["close_reason"] or None,
        "waiting_on": case["waiting_on"] or None,
        "deadline_at": local(case["deadline_at"], tz),
        "pdd_status": pdd_status(
            state=state,
            case_type=case_type,
            close_reason=case["close_reason"],
            refund_decided_by=case["refund_decided_by"],
        ),
        "reason_code": case["reason_code"],
        "merchant_fault": case["merchant_fault"],
        "return_freight_payer": case["return_freight_payer"],
        "items": [{"sku": i["sku_code"], "qty": i["qty"]} for i in read.items],
        "refund_fen": case["refund_fen"],
        "freight_refund_fen": case["freight_refund_fen"],
        "exchange_sku": case["exchange_sku"] or None,
        "description": case["description"],
        "evidence": case["evidence"],
        "return_address": case["return_address"],
        "refund": _refund(read.refund, tz),
        "return_shipment": _shipment(shipments.get(RETURN), tz),
        "replacement_shipment": _shipment(shipments.get(REPLACEMENT), tz),
        "initiated_by": case["initiated_by"],
        "merchant_liable": case["merchant_liable"],
        "allowed_actions": t.allowed(state, case_type, actor.role) + (["evaluate"] if read.evaluable else []),
        "created_at": local(case["created_at"], tz),
        "updated_at": local(case["updated_at"], tz),
        "version": case["version"],
    }
    if actor.role in (MERCHANT, PLATFORM):
        view["risk_flags"] = risk_flags
    return view


def case_views(cases: list[AfterSale], actor: Actor) -> list[dict[str, Any]]:
    """Many cases as ``actor`` sees them, with a fixed number of queries for their risk flags."""
    if actor.role not in (MERCHANT, PLATFORM):
        return [case_view(c, actor) for c in cases]
    flags = risk.risk_flags_for(cases, shop_id=_flag_scope(actor))
    return [case_view(c, actor, risk_flags=flags.get(c.pk)) for c in cases]


def _flag_scope(actor: Actor) -> int | None:
    """A merchant's view of a buyer counts the buyer's doings in the merchant's own shop only."""
    return actor.shop_id if actor.role == MERCHANT else None


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
        raise ValidationFailed(field="cursor", message="cursor is not one this API gave out") from exc


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
        _complete(page, rows.fetch(*_parts_of(ids, actor)))
    return page, _next_cursor([vars(c) for c in cases], f)


def queue_views(actor: Actor, f: QueueFilter, *, now: datetime) -> tuple[list[dict[str, Any]], str | None]:
    """``queue``'s page as the API shows it, each case as ``case_view`` shows it, read as values instead of
    model instances: the page every merchant reloads all day, for about half of its cost beyond the reads."""
    found = queue_statement(actor, f, now=now)
    if found is None:
        return [], None
    (cases,) = rows.fetch_values(found)
    page = cases[: f.limit]
    return (_views_of_values(page, actor) if page else []), _next_cursor(cases, f)


def _next_cursor(cases: Sequence[Mapping[str, Any]], f: QueueFilter) -> str | None:
    """Where the next page starts, when ``cases`` (read one past the page) hold more than a page."""
    if len(cases) <= f.limit:
        return None
    last = cases[f.limit - 1]
    key_at = last["due_sort"] if f.sort == "deadline" else last["created_at"]
    return _encode_cursor((key_at or NO_DEADLINE).isoformat(), last["id"])


_CASE_ID = itemgetter("case_id")


def _views_of_values(page: list[dict[str, Any]], actor: Actor) -> list[dict[str, Any]]:
    """The views of cases read as values, their parts read as values by the statements of ``_parts_of``."""
    shops, refunds, items, shipments, *rated = rows.fetch_values(*_parts_of([c["id"] for c in page], actor))
    shop_of = {shop["id"]: shop for shop in shops}
    refund_of = {refund["case_id"]: refund for refund in refunds}
    items_of, shipments_of = _by_case(items, _CASE_ID), _by_case(shipments, _CASE_ID)
    rated_ids = {rating["case_id"] for rating in rated[0]} if rated else set()
    flags: dict[int, list[dict[str, Any]]] | None = None
    if actor.role in (MERCHANT, PLATFORM):
        facts = [
            risk.CaseFacts(
                c["id"],
                c["shop_id"],
                c["buyer_id"],
                sorted({i["sku_code"] for i in items_of.get(c["id"], [])}),
                partial(str, shop_of[c["shop_id"]]["time_zone"]),
                [s for s in shipments_of.get(c["id"], []) if s["kind"] == RETURN],
            )
            for c in page
        ]
        flags = risk.flags_of_facts(facts, shop_id=_flag_scope(actor))
    views = []
    for c in page:
        read = _Read(
            case=c,
            shop=shop_of[c["shop_id"]],
            items=items_of.get(c["id"], []),
            refund=refund_of.get(c["id"]),
            shipments=shipments_of.get(c["id"], []),
            evaluable=reviews.evaluable(
                actor,
                buyer_id=c["buyer_id"],
                state=c["state"],
                rated=partial(set.__contains__, rated_ids, c["id"]),
            ),
        )
        views.append(_view(read, actor, flags[c["id"]] if flags is not None else None))
    return views


def queue_statement(actor: Actor, f: QueueFilter, *, now: datetime) -> rows.Query[AfterSale] | None:
    """The statement that reads the cases of a queue page (one more than the page, to know if another
    follows); None when the actor can see no case. Written out rather than compiled by the ORM on every
    request: it is the read every merchant repeats, and each of its shapes is served in order by a
    ``case_queue_*`` index that leads with the shop (the EXPLAIN tests run this statement)."""
    if f.sort not in ("deadline", "-created"):
        raise ValidationFailed(field="sort", message="sort is deadline or -created")
    if f.state and f.state not in t.STATES:
        raise ValidationFailed(field="state", message=f"unknown state {f.state!r}")
    if f.type and f.type not in t.TYPES:
        raise ValidationFailed(field="type", message=f"unknown type {f.type!r}")
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
