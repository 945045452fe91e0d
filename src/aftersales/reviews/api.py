"""HTTP: the buyer's rating of a finished case, the tag list, and the platform's shop ranking."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from aftersales.api.auth import actor_of, require
from aftersales.cases import queries as cases
from aftersales.cases import views as case_views
from aftersales.cases.api import CaseId, CaseOut, VersionIn
from aftersales.core.actors import PLATFORM
from aftersales.reviews import queries, services
from aftersales.reviews.models import MAX_COMMENT, MAX_SCORE, MIN_SCORE, TAGS

router = Router(tags=["reviews"])


class EvaluateIn(VersionIn):
    score: int = Field(ge=MIN_SCORE, le=MAX_SCORE)
    tags: list[str] = Field(default_factory=list, max_length=len(TAGS))
    comment: str = Field("", max_length=MAX_COMMENT)


class TagOut(Schema):
    code: str
    label: str
    positive: bool


class TagList(Schema):
    items: list[TagOut]


class RankingQuery(Schema):
    limit: int = Field(100, ge=1, le=queries.MAX_RANKING)


class RankedShop(Schema):
    rank: int
    shop: str
    name: str
    score: float
    rating_count: int
    computed_at: str | None


class Ranking(Schema):
    items: list[RankedShop]
    next_cursor: str | None


@router.post("/after-sales/{case_id}/evaluate", response=CaseOut)
def evaluate(request: HttpRequest, case_id: CaseId, body: EvaluateIn) -> dict[str, Any]:
    actor = actor_of(request)
    services.evaluate(
        case_id,
        actor=actor,
        score=body.score,
        tags=body.tags,
        comment=body.comment,
        version=body.version,
    )
    return case_views.case_view(cases.get_case(case_id, actor), actor)


@router.get("/rating-tags", response=TagList)
def rating_tags(request: HttpRequest) -> dict[str, Any]:
    actor_of(request)
    return {"items": queries.tags()}


@router.get("/shops/ranking", response=Ranking)
def shop_ranking(request: HttpRequest, q: Query[RankingQuery]) -> dict[str, Any]:
    require(request, PLATFORM)
    return {"items": queries.ranking(limit=q.limit), "next_cursor": None}
