"""A case as the API shows it: one view (``_view``) built from a case's values and its parts', fed either
from a model instance with the parts read with it (``case_view``) or from a page read as values
(``queue_views``). Never writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from operator import itemgetter
from typing import Any

from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.cases.pdd import pdd_status
from aftersales.cases.queries import QueueFilter, by_case, local, next_cursor, parts_of, queue_statement
from aftersales.core import rows
from aftersales.core.actors import MERCHANT, PLATFORM, Actor
from aftersales.logistics.models import REPLACEMENT, RETURN
from aftersales.refunds.models import Refund
from aftersales.reviews import queries as reviews
from aftersales.risk import queries as risk


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


def queue_views(actor: Actor, f: QueueFilter, *, now: datetime) -> tuple[list[dict[str, Any]], str | None]:
    """``queue``'s page as the API shows it, each case as ``case_view`` shows it, read as values instead of
    model instances: the page every merchant reloads all day, where making the instances and leaving their
    parts on them cost more than reading the rows."""
    found = queue_statement(actor, f, now=now)
    if found is None:
        return [], None
    (cases,) = rows.fetch_values(found)
    page = cases[: f.limit]
    return (_views_of_values(page, actor) if page else []), next_cursor(cases, f)


_CASE_ID = itemgetter("case_id")


def _views_of_values(page: list[dict[str, Any]], actor: Actor) -> list[dict[str, Any]]:
    """The views of cases read as values, their parts read as values by the statements of ``parts_of``."""
    shops, refunds, items, shipments, *rated = rows.fetch_values(*parts_of([c["id"] for c in page], actor))
    shop_of = {shop["id"]: shop for shop in shops}
    refund_of = {refund["case_id"]: refund for refund in refunds}
    items_of, shipments_of = by_case(items, _CASE_ID), by_case(shipments, _CASE_ID)
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
