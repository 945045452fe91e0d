"""The dispute record of a case (有据可查, domain.md section 8): the case, every event with actor and time,
every chat message and card of the order, the parcels and the refund. Read side only."""

from __future__ import annotations

from typing import Any

from aftersales.cases import queries, views
from aftersales.chat.models import Message
from aftersales.core.actors import Actor


def evidence(case_id: int, actor: Actor) -> dict[str, Any]:
    """The same record for the merchant, the buyer and the platform: nothing in it depends on who asks,
    except that the buyer's phone and address stay masked for everyone but the order's own sides."""
    case = queries.get_case(case_id, actor)
    tz = case.shop.time_zone
    view = views.case_view(case, actor)
    view.pop("allowed_actions", None)
    chat = Message.objects.filter(shop_id=case.shop_id, conversation__order_id=case.order_id).order_by(
        "at", "id"
    )
    return {
        "case": view,
        "order": {"order_sn": case.order_sn, "shop": case.shop.code, "shop_name": case.shop.name},
        "events": queries.events(case_id, actor),
        "messages": [
            {
                "at": queries.local(m.at, tz),
                "sender": {"role": m.sender_role, "id": m.sender_id},
                "to": m.to,
                "text": m.text,
                "card": {"type": m.card_type, "case_id": m.case_id, "data": m.card_data}
                if m.card_type
                else None,
            }
            for m in chat
        ],
        "shipments": [s for s in (view["return_shipment"], view["replacement_shipment"]) if s is not None],
        "refund": view["refund"],
    }
