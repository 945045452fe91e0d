"""Read side for ratings: may this case be rated now, the tag list, and the shops ranked by service score.
Never writes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, IntegerField, Value
from django.db.models.functions import Coalesce

from aftersales.accounts.models import Shop
from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.core.actors import BUYER, Actor
from aftersales.core.errors import ActionNotAllowed
from aftersales.reviews.models import PRIOR_MEAN, SCORE_PLACES, TAGS, ServiceRating

# A case is rated once it has finished with the buyer served; a closed case (cancelled, rejected by the
# platform, lapsed) is not rated.
RATEABLE_STATES = frozenset({t.REFUNDED, t.COMPLETED})
MAX_RANKING = 1000


def _rated(case: AfterSale) -> bool:
    try:
        case.rating  # noqa: B018 - loaded with the case when it was selected with ``rating``
    except ServiceRating.DoesNotExist:
        return False
    return True


def can_evaluate(case: AfterSale, actor: Actor) -> bool:
    """True when ``evaluate`` belongs in the actor's ``allowed_actions``: the case's own buyer, a finished
    case, no rating yet."""
    return evaluable(actor, buyer_id=case.buyer_id, state=case.state, rated=lambda: _rated(case))


def evaluable(actor: Actor, *, buyer_id: int, state: str, rated: Callable[[], bool]) -> bool:
    """``can_evaluate`` of a case given by its values; ``rated`` is asked only when it matters."""
    if actor.role != BUYER or actor.buyer_id is None or buyer_id != actor.buyer_id:
        return False
    return state in RATEABLE_STATES and not rated()


def check_rateable(case: AfterSale) -> None:
    if case.state not in RATEABLE_STATES:
        raise ActionNotAllowed(
            action="evaluate",
            state=case.state,
            allowed_actions=t.allowed(case.state, case.type, BUYER),
        )


def tags() -> list[dict[str, Any]]:
    """The fixed tag list, labels in the caller's language, positive tags first."""
    ordered = sorted(TAGS.values(), key=lambda tag: not tag.positive)
    return [{"code": tag.code, "label": str(tag.label), "positive": tag.positive} for tag in ordered]


def ranking(*, limit: int = 100) -> list[dict[str, Any]]:
    """Shops by service score, highest first; equal scores by rating count, more first; then by code.

    Ranks are competition ranks ("1, 2, 2, 4"): shops with the same score and count share one. A shop that
    has no rating yet scores the prior mean with count 0, and is ranked like any other."""
    rows = (
        Shop.objects.annotate(
            rank_score=Coalesce(
                F("reputation__score"),
                Value(PRIOR_MEAN),
                output_field=DecimalField(max_digits=5, decimal_places=3),
            ),
            rank_count=Coalesce(F("reputation__rating_count"), Value(0), output_field=IntegerField()),
        )
        .order_by("-rank_score", "-rank_count", "code")
        .values("code", "name", "rank_score", "rank_count", "reputation__computed_at")[
            : min(limit, MAX_RANKING)
        ]
    )
    items: list[dict[str, Any]] = []
    previous: tuple[Decimal, int] | None = None
    for position, row in enumerate(rows, start=1):
        key = (Decimal(str(row["rank_score"])).quantize(SCORE_PLACES), int(row["rank_count"]))
        rank = items[-1]["rank"] if key == previous else position
        previous = key
        computed = row["reputation__computed_at"]
        items.append(
            {
                "rank": rank,
                "shop": row["code"],
                "name": row["name"],
                "score": float(key[0]),
                "rating_count": key[1],
                "computed_at": computed.isoformat() if computed else None,
            }
        )
    return items
