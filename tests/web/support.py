"""Cases made through the services, for the page tests."""

from __future__ import annotations

from typing import Any

from aftersales.cases import services
from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.core.actors import Actor
from tests.factories import World, make_order, sh


def apply_case(
    world: World,
    buyer: Actor | None = None,
    case_type: str = "refund_only",
    reason: str = "damaged",
    *,
    items: list[tuple[str, int, int]] | None = None,
    description: str = "",
    **order: Any,
) -> AfterSale:
    """A signed order of ``buyer`` (a new buyer when None) and the buyer's application on its first line."""
    if buyer is None:
        buyer, _ = world.buyer()
    placed = make_order(
        world, buyer, items=items, signed_at=order.pop("signed_at", sh(2026, 11, 16, 10)), **order
    )
    line = placed.items.order_by("id").first()
    assert line is not None
    return services.apply(
        services.Application(
            placed.order_sn,
            case_type,
            reason,
            [services.ItemRequest(line.sku_code, 1)],
            description=description,
        ),
        actor=buyer,
    )


def snapshot(case_id: int) -> tuple[Any, ...]:
    """What must not change when a command is refused: the case row and its timeline."""
    case = AfterSale.objects.get(pk=case_id)
    return (
        case.state,
        case.version,
        case.refund_fen,
        case.return_address,
        CaseEvent.objects.filter(case_id=case_id).count(),
    )


def fields(prefix: str, **values: Any) -> dict[str, Any]:
    """A case action's form fields, named as its page names them (``ship-carrier``)."""
    return {f"{prefix}-{name}": value for name, value in values.items()}
