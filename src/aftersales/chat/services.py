"""Chat commands: text messages both ways, the system's cards, and reply templates."""

from __future__ import annotations

import string
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from aftersales.chat.cards import Card
from aftersales.chat.models import Conversation, Message, ReplyTemplate
from aftersales.core import clock, rows
from aftersales.core.actors import BUYER, MERCHANT, SYSTEM, Actor
from aftersales.core.errors import NotFound, ValidationFailed
from aftersales.orders.models import Order

MAX_TEXT = 2000
PLACEHOLDERS = ("buyer_name", "order_sn", "tracking_no", "carrier", "deadline", "amount", "case_id")


def conversation_for(*, shop_id: int, order_id: int, at: datetime) -> Conversation:
    """The order's conversation, made now if it has none (by whichever of two racing writers comes first)."""
    _open_conversation(shop_id, order_id, at)
    found = rows.get(Conversation, shop_id=shop_id, order_id=order_id)
    assert found is not None
    return found


def _open_conversation(shop_id: int, order_id: int, at: datetime) -> None:
    """The order's conversation if it has none yet; nothing when it has (one per order, a unique key)."""
    rows.run(
        f"INSERT INTO {Conversation._meta.db_table} (shop_id, order_id, created_at) VALUES (%s, %s, %s)"
        " ON CONFLICT (order_id) DO NOTHING",
        [shop_id, order_id, rows.stamp(at)],
    )


def _order_for(actor: Actor, order_sn: str) -> Order:
    order = Order.objects.filter(order_sn=order_sn).first()
    if order is None:
        raise NotFound(what="order")
    if actor.role == MERCHANT and order.shop_id != actor.shop_id:
        raise NotFound(what="order")
    if actor.role == BUYER and order.buyer_id != actor.buyer_id:
        raise NotFound(what="order")
    if actor.role not in (BUYER, MERCHANT):
        raise NotFound(what="order")
    return order


def post_message(*, actor: Actor, order_sn: str, text: str) -> Message:
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(
            field="text", message=_("a message has 1 to %(max)s characters") % {"max": MAX_TEXT}
        )
    order = _order_for(actor, order_sn)
    now = clock.now()
    conversation = conversation_for(shop_id=order.shop_id, order_id=order.pk, at=now)
    return Message.objects.create(
        shop_id=order.shop_id,
        conversation=conversation,
        at=now,
        sender_role=actor.role,
        sender_id=actor.id,
        to=MERCHANT if actor.role == BUYER else BUYER,
        text=text,
    )


def post_cards(*, shop_id: int, order_id: int, case_id: int | None, cards: list[Card], at: datetime) -> None:
    """Post the cards of one change; called inside the transaction that makes the change. Two statements
    whose results nobody waits for: the order's conversation if it has none yet, then the cards into it, all
    in one statement, in their order (``ORDER BY``: the ids follow it, and cards of one change share a time)."""
    if not cards:
        return
    _open_conversation(shop_id, order_id, at)
    each = " UNION ALL ".join(
        f"SELECT {n} AS n, %s AS to_side, %s AS card_type, %s AS card_data" for n in range(len(cards))
    )
    params: list[Any] = [shop_id, rows.stamp(at), SYSTEM, "system", case_id]
    for card in cards:
        params += [card.to, card.type, _CARD_DATA.get_db_prep_save(card.data, connection)]
    rows.run(
        f"INSERT INTO {Message._meta.db_table} (shop_id, conversation_id, at, sender_role, sender_id,"
        f" {connection.ops.quote_name('to')}, text, card_type, case_id, card_data)"
        " SELECT %s, c.id, %s, %s, %s, v.to_side, '', v.card_type, %s, v.card_data"
        f" FROM {Conversation._meta.db_table} c CROSS JOIN ({each}) v WHERE c.order_id = %s ORDER BY v.n",
        [*params, order_id],
    )


_CARD_DATA = Message._meta.get_field("card_data")


def messages(*, actor: Actor, order_sn: str) -> list[Message]:
    """The conversation as the actor sees it: every text, and the cards addressed to their side."""
    order = _order_for(actor, order_sn)
    rows = Message.objects.filter(shop_id=order.shop_id, conversation__order=order).order_by("at", "id")
    return [m for m in rows if not m.card_type or m.to in (actor.role, "both")]


def save_template(*, actor: Actor, name: str, body: str) -> ReplyTemplate:
    if actor.role != MERCHANT or actor.shop_id is None:
        raise NotFound(what="shop")
    name, body = name.strip(), body.strip()
    if not name or not body:
        raise ValidationFailed(field="body", message=_("a template needs a name and a body"))
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(body) if f is not None]
    except ValueError as exc:
        raise ValidationFailed(
            field="body", message=_("unbalanced braces; write {{ or }} for a brace itself")
        ) from exc
    unknown = {f for f, _, _ in parsed} - set(PLACEHOLDERS)
    if unknown:
        raise ValidationFailed(
            field="body",
            message=_("unknown placeholders %(unknown)s; use %(known)s")
            % {"unknown": _braced(sorted(unknown)), "known": _braced(PLACEHOLDERS)},
        )
    if any(spec or conv for _, spec, conv in parsed):
        raise ValidationFailed(
            field="body", message=_("write a placeholder as {name}, without a format or conversion")
        )
    template, _created = ReplyTemplate.objects.update_or_create(
        shop_id=actor.shop_id, name=name, defaults={"body": body, "created_at": clock.now()}
    )
    return template


def _braced(names: Iterable[str]) -> str:
    return ", ".join("{" + name + "}" for name in names)


def templates(*, actor: Actor) -> list[ReplyTemplate]:
    if actor.role != MERCHANT or actor.shop_id is None:
        raise NotFound(what="shop")
    return list(ReplyTemplate.objects.filter(shop_id=actor.shop_id).order_by("name"))


def render_template(body: str, values: dict[str, Any]) -> str:
    """Fill the placeholders a template uses; those without a value stay visible as ``{name}``."""
    return string.Formatter().vformat(body, (), _Missing(values))


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
