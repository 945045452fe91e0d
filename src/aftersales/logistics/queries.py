"""Read side for shipping: what the merchant must send out, replacements first (补发订单优先处理)."""

from __future__ import annotations

from typing import Any

from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.catalog.models import RestockAlert
from aftersales.orders.models import Order

LIMIT = 200


def shipping_list(shop_id: int) -> dict[str, Any]:
    replacements = (
        AfterSale.objects.filter(shop_id=shop_id, state=t.AWAITING_SHIPMENT)
        .prefetch_related("items")
        .order_by("due_sort", "id")[:LIMIT]
    )
    orders = Order.objects.filter(shop_id=shop_id, shipped_at__isnull=True).order_by("paid_at", "id")[:LIMIT]
    alerts = (
        RestockAlert.objects.filter(shop_id=shop_id, resolved_at__isnull=True)
        .select_related("sku")
        .order_by("-created_at")[:LIMIT]
    )
    rows: list[dict[str, Any]] = [
        {
            "kind": "case",
            "case_id": c.pk,
            "case_type": c.type,
            "order_sn": c.order_sn,
            "items": [{"sku": c.exchange_sku or i.sku_code, "qty": i.qty} for i in c.items.all()],
            "deadline_at": c.deadline_at.isoformat() if c.deadline_at else None,
        }
        for c in replacements
    ]
    rows += [
        {
            "kind": "order",
            "case_id": None,
            "case_type": None,
            "order_sn": o.order_sn,
            "items": [],
            "deadline_at": None,
        }
        for o in orders
    ]
    return {
        "items": rows,
        "restock_alerts": [
            {
                "sku": a.sku.sku,
                "needed": a.needed,
                "available": a.available,
                "case_id": a.case_id_hint,
                "created_at": a.created_at.isoformat(),
            }
            for a in alerts
        ],
    }
