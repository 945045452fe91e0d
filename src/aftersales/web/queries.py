"""Reads the pages need beyond what the apps offer: a case page's facts gathered in one place, tab counts,
the finished tab, a buyer's orders, the merchant's conversations, the platform's lists. Never writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.cases import queries as case_queries
from aftersales.cases import transitions as t
from aftersales.cases import views as case_views
from aftersales.cases.evidence import evidence
from aftersales.cases.models import AfterSale
from aftersales.chat import services as chat
from aftersales.chat.models import Conversation, Message
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.core.bounds import MAX_ID
from aftersales.core.errors import ValidationFailed
from aftersales.core.money import fen_to_yuan
from aftersales.logistics.carriers import CARRIERS
from aftersales.orders.models import Order, OrderItem
from aftersales.orders.queries import get_order
from aftersales.risk import queries as risk
from aftersales.risk.models import RiskRecord
from aftersales.web.labels import DECISIONS

PAGE = 20


def order_lines(order: Order) -> list[OrderItem]:
    return list(order.items.select_related("sku").order_by("id"))


def tab_counts(shop_id: int, *, now: datetime) -> dict[str, int]:
    """Open cases by who must act, and how many of the merchant's are past their deadline."""
    rows = (
        AfterSale.objects.filter(shop_id=shop_id)
        .exclude(waiting_on="")
        .values("waiting_on")
        .annotate(n=Count("id"))
    )
    counts = {row["waiting_on"]: row["n"] for row in rows}
    counts["overdue"] = AfterSale.objects.filter(
        shop_id=shop_id, waiting_on=MERCHANT, due_sort__lt=now
    ).count()
    return counts


def finished(actor: Actor, f: case_queries.QueueFilter) -> tuple[list[AfterSale], str | None]:
    """Cases in a final state (已完成), newest first, paged by id."""
    qs = case_queries.scoped(actor).filter(waiting_on="", state__in=t.FINAL_STATES)
    if f.type:
        qs = qs.filter(type=f.type)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.order_sn:
        qs = qs.filter(order_sn=f.order_sn)
    if f.cursor:
        if not f.cursor.isdigit() or int(f.cursor) > MAX_ID:
            raise ValidationFailed(field="cursor", message=_("cursor is not one this page gave out"))
        qs = qs.filter(id__lt=int(f.cursor))
    page = list(qs.order_by("-id")[: f.limit + 1])
    more = len(page) > f.limit
    page = page[: f.limit]
    return page, (str(page[-1].pk) if more and page else None)


def _message_row(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "at": m.at,
        "sender": {"role": m.sender_role, "id": m.sender_id},
        "to": m.to,
        "text": m.text,
        "card": {"type": m.card_type, "case_id": m.case_id, "data": m.card_data} if m.card_type else None,
    }


def chat_rows(actor: Actor, order_sn: str) -> list[dict[str, Any]]:
    """The conversation as the actor sees it; each card carries the actions its case allows the actor now."""
    rows = [_message_row(m) for m in chat.messages(actor=actor, order_sn=order_sn)]
    return with_card_actions(rows, actor)


def with_card_actions(rows: list[dict[str, Any]], actor: Actor) -> list[dict[str, Any]]:
    ids = {r["card"]["case_id"] for r in rows if r["card"] and r["card"]["case_id"]}
    states = {
        pk: (state, case_type)
        for pk, state, case_type in AfterSale.objects.filter(pk__in=ids).values_list("id", "state", "type")
    }
    for row in rows:
        card = row["card"]
        if card and card["case_id"] in states:
            state, case_type = states[card["case_id"]]
            card["actions"] = t.allowed(state, case_type, actor.role)
    return rows


def _proposed_address(events: list[dict[str, Any]]) -> dict[str, str] | None:
    for event in events:
        if event["action"] == "propose_reship" and isinstance(event["data"].get("address"), dict):
            address: dict[str, str] = event["data"]["address"]
            return address
    return None


def ship_to(order: Order, events: list[dict[str, Any]]) -> dict[str, str]:
    """Where a replacement goes, in full: the address of the merchant's reship proposal, else the order's
    receiver. Shown only to the merchant who ships it."""
    proposed = _proposed_address(events)
    if proposed is not None:
        return proposed
    return {"name": order.receiver_name, "phone": order.receiver_phone, "address": order.receiver_address}


def template_values(case: AfterSale | None, order: Order, view: dict[str, Any] | None) -> dict[str, Any]:
    """What reply templates (话术) may say: {buyer_name}, {order_sn}, {tracking_no}, {carrier}, {deadline} …"""
    values: dict[str, Any] = {
        "buyer_name": order.receiver_name or order.buyer.name or order.buyer.external_id,
        "order_sn": order.order_sn,
        "tracking_no": order.tracking_no,
        "carrier": CARRIERS[order.carrier].name if order.carrier in CARRIERS else order.carrier,
    }
    if case is not None and view is not None:
        shipment = view["replacement_shipment"] or view["return_shipment"]
        if shipment is not None:
            values["tracking_no"] = shipment["tracking_no"]
            values["carrier"] = CARRIERS[shipment["carrier"]].name if shipment["carrier"] in CARRIERS else ""
        if case.deadline_at is not None:
            values["deadline"] = timezone.localtime(case.deadline_at).strftime("%Y-%m-%d %H:%M")
        refund = view["refund"]
        amount = refund["amount_fen"] if refund else case.refund_fen + case.freight_refund_fen
        values["amount"] = fen_to_yuan(amount)
        values["case_id"] = case.pk
    return values


def reply_templates(actor: Actor, values: dict[str, Any]) -> list[tuple[str, str]]:
    return [(tpl.name, chat.render_template(tpl.body, values)) for tpl in chat.templates(actor=actor)]


def case_page(case_id: int, actor: Actor, *, now: datetime) -> dict[str, Any]:
    """Everything a case page shows: the case as the actor sees it, the order and its lines, the order's
    after-sales entry (policy facts), the timeline and the chat."""
    case = case_queries.get_case(case_id, actor)
    view = case_views.case_view(case, actor)
    order = Order.objects.select_related("shop", "buyer").get(pk=case.order_id)
    events = case_queries.events(case_id, actor)
    if actor.role == PLATFORM:
        record = evidence(case_id, actor)
        messages = with_card_actions([_record_row(m) for m in record["messages"]], actor)
    else:
        messages = chat_rows(actor, order.order_sn)
    context: dict[str, Any] = {
        "case": case,
        "view": view,
        "order": order,
        "lines": order_lines(order),
        "case_skus": {item["sku"] for item in view["items"]},
        "entry": case_queries.order_entry(order, now=now),
        "events": events,
        "chat": messages,
        "allowed": view["allowed_actions"],
    }
    if actor.role == MERCHANT:
        context["ship_to"] = ship_to(order, events) if case.state == t.AWAITING_SHIPMENT else None
        context["templates"] = reply_templates(actor, template_values(case, order, view))
    if actor.role == PLATFORM:
        context["decisions"] = decisions_for(case)
    if actor.role in (MERCHANT, PLATFORM):
        context["flags"] = flags_of(case, actor, now=now)
    return context


def flags_of(case: AfterSale, actor: Actor, *, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The case's risk flags and its buyer's, each with its reason in words; a merchant's buyer flags count
    in their shop only. Never for the buyer."""
    shop_id = case.shop_id if actor.role == MERCHANT else None
    return {
        "case": risk.case_flags(case, now=now),
        "buyer": risk.buyer_flags(case.buyer_id, shop_id=shop_id, now=now),
    }


def _record_row(m: dict[str, Any]) -> dict[str, Any]:
    card = m["card"]
    return {
        "id": None,
        "at": m["at"],
        "sender": m["sender"],
        "to": m["to"],
        "text": m["text"],
        "card": dict(card) if card else None,
    }


def order_page(order_sn: str, actor: Actor, *, now: datetime) -> dict[str, Any]:
    """An order with its chat and its cases, for the merchant (the chat window) or the buyer."""
    order = get_order(order_sn, actor)
    context: dict[str, Any] = {
        "order": order,
        "lines": order_lines(order),
        "entry": case_queries.order_entry(order, now=now),
        "cases": list(AfterSale.objects.filter(shop_id=order.shop_id, order=order).order_by("-id")),
        "chat": chat_rows(actor, order.order_sn),
    }
    if actor.role == MERCHANT:
        context["templates"] = reply_templates(actor, template_values(None, order, None))
    return context


def buyer_orders(actor: Actor, *, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """The buyer's orders, newest first, each with its after-sales entry and its cases."""
    if actor.role != BUYER or actor.buyer_id is None:
        return []
    orders = list(
        Order.objects.filter(buyer_id=actor.buyer_id)
        .select_related("shop")
        .prefetch_related("items__sku")
        .order_by("-paid_at", "-id")[:limit]
    )
    by_order: dict[int, list[AfterSale]] = {}
    for case in AfterSale.objects.filter(buyer_id=actor.buyer_id, order__in=orders).order_by("-id"):
        by_order.setdefault(case.order_id, []).append(case)
    return [
        {
            "order": order,
            "lines": sorted(order.items.all(), key=lambda line: line.pk),
            "entry": case_queries.order_entry(order, now=now),
            "cases": by_order.get(order.pk, []),
        }
        for order in orders
    ]


def conversations(shop_id: int, *, limit: int = 50) -> QuerySet[Conversation]:
    """The shop's conversations, the most recent first, each with its last text message."""
    # Each conversation's messages by its shop and itself: what ``message_conversation_at`` leads with.
    messages = Message.objects.filter(shop_id=OuterRef("shop_id"), conversation=OuterRef("pk"))
    last_text = messages.filter(card_type="").order_by("-at", "-id")
    return (
        Conversation.objects.filter(shop_id=shop_id)
        .select_related("order", "order__buyer")
        .annotate(
            last_at=Subquery(messages.order_by("-at").values("at")[:1]),
            last_text=Subquery(last_text.values("text")[:1]),
            last_role=Subquery(last_text.values("sender_role")[:1]),
        )
        .order_by(F("last_at").desc(nulls_last=True), "-id")[:limit]
    )


def escalated(actor: Actor, *, now: datetime, cursor: str | None) -> tuple[list[AfterSale], str | None]:
    """平台介入: cases waiting on the platform's decision, the most urgent first."""
    return case_queries.queue(
        actor, case_queries.QueueFilter(state=t.PLATFORM_REVIEW, cursor=cursor, limit=PAGE), now=now
    )


def risk_records(limit: int = 100) -> list[RiskRecord]:
    """Abuse records, unresolved first, newest first within each group."""
    return list(
        RiskRecord.objects.select_related("order", "buyer", "shop").order_by(
            F("resolved_at").asc(nulls_first=True), "-created_at", "-id"
        )[:limit]
    )


def decisions_for(case: AfterSale) -> list[str]:
    """The decisions the transition table has for this case's state and type."""
    return [d for d in DECISIONS if t.next_state(case.state, f"decide:{d}", case.type) is not None]
