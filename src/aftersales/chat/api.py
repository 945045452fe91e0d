"""HTTP: an order's conversation, and the merchant's reply templates."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from aftersales.api.auth import actor_of, require
from aftersales.chat import services
from aftersales.chat.models import Message, ReplyTemplate
from aftersales.core.actors import MERCHANT

router = Router(tags=["chat"])


class MessageIn(Schema):
    text: str = Field(min_length=1, max_length=2000)


class TemplateIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000)


def message_view(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "at": m.at.isoformat(),
        "sender": {"role": m.sender_role, "id": m.sender_id},
        "to": m.to,
        "text": m.text,
        "card": {"type": m.card_type, "case_id": m.case_id, "data": m.card_data} if m.card_type else None,
    }


def _template(t: ReplyTemplate) -> dict[str, Any]:
    return {"name": t.name, "body": t.body}


@router.get("/orders/{order_sn}/messages")
def list_messages(request: HttpRequest, order_sn: str) -> dict[str, Any]:
    rows = services.messages(actor=actor_of(request), order_sn=order_sn)
    return {"items": [message_view(m) for m in rows], "next_cursor": None}


@router.post("/orders/{order_sn}/messages", response={201: dict})
def post_message(request: HttpRequest, order_sn: str, body: MessageIn) -> Status[dict[str, Any]]:
    return Status(
        201, message_view(services.post_message(actor=actor_of(request), order_sn=order_sn, text=body.text))
    )


@router.get("/reply-templates")
def list_templates(request: HttpRequest) -> dict[str, Any]:
    actor = require(request, MERCHANT)
    return {"items": [_template(t) for t in services.templates(actor=actor)], "next_cursor": None}


@router.post("/reply-templates", response={201: dict})
def save_template(request: HttpRequest, body: TemplateIn) -> Status[dict[str, Any]]:
    actor = require(request, MERCHANT)
    return Status(201, _template(services.save_template(actor=actor, name=body.name, body=body.body)))
