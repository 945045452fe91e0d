"""Rating commands: the buyer's evaluation of a finished case, and the shop's service score kept beside it.

The score's formula is in ``reviews/models.py``. Lock order: the case, then the shop's reputation row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from aftersales.cases.models import AfterSale
from aftersales.cases.services.common import save_note, visible_to
from aftersales.core import clock
from aftersales.core.actors import BUYER, Actor
from aftersales.core.errors import AlreadyRated, Forbidden, NotFound, StaleVersion, ValidationFailed
from aftersales.reviews import queries
from aftersales.reviews.models import (
    MAX_COMMENT,
    MAX_SCORE,
    MIN_SCORE,
    TAGS,
    ServiceRating,
    ShopReputation,
    smoothed_score,
    window_start,
)

EVALUATE = "evaluate"


def evaluate(
    case_id: int,
    *,
    actor: Actor,
    score: int,
    tags: Sequence[str] = (),
    comment: str = "",
    version: int | None = None,
) -> ServiceRating:
    """The buyer rates the after-sales service of their finished case, once.

    In one transaction, with the case locked first: the rating, one ``evaluate`` event on the case's
    timeline, and the shop's reputation rewritten from its ratings. Refused, with nothing stored:

    - ``validation_error`` (422): a score that is not a whole number from 1 to 5, an unknown tag, a comment
      over 500 characters;
    - ``not_found`` (404): no such case, or a case of another buyer;
    - ``forbidden`` (403): a merchant or platform token, since only the case's buyer rates it;
    - ``stale_version`` (409): ``version`` given and the case has moved on;
    - ``action_not_allowed`` (409): the case has not finished (refunded or completed), and closed cases are
      not rated. This is the answer every action gets in a state that does not offer it, naming the state and
      the actions allowed now, so clients handle one code for "not now"; no separate ``not_finished`` code;
    - ``already_rated`` (409): the case has its rating already.
    """
    clean_tags = _check_tags(tags)
    clean_comment = _check_comment(comment)
    _check_score(score)
    with transaction.atomic():
        case = AfterSale.objects.select_for_update().select_related("shop").filter(pk=case_id).first()
        if case is None or not visible_to(case, actor):
            raise NotFound(what="after-sales case")
        if actor.role != BUYER:
            raise Forbidden(role=actor.role, allowed_roles=[BUYER], action=EVALUATE)
        if version is not None and version != case.version:
            raise StaleVersion(sent_version=version, current_version=case.version)
        queries.check_rateable(case)
        if ServiceRating.objects.filter(case_id=case.pk).exists():
            raise AlreadyRated(case_id=case.pk)
        now = clock.now()
        rating = ServiceRating.objects.create(
            shop_id=case.shop_id,
            case=case,
            buyer_id=case.buyer_id,
            score=score,
            tags=clean_tags,
            comment=clean_comment,
            created_at=now,
        )
        data = {"rating_id": rating.pk, "score": score, "tags": clean_tags, "comment": clean_comment}
        save_note(case, EVALUATE, actor=actor, at=now, data=data)
        refresh_reputation(case.shop_id, at=now)
        return rating


def _check_score(score: object) -> None:
    if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise ValidationFailed(
            field="score",
            message=_("score must be a whole number from %(min)s to %(max)s")
            % {"min": MIN_SCORE, "max": MAX_SCORE},
        )


def _check_tags(tags: Sequence[str]) -> list[str]:
    """The tags in the order given, each once; any code outside the fixed list refuses the rating."""
    unknown = [tag for tag in tags if tag not in TAGS]
    if unknown:
        raise ValidationFailed(
            field="tags",
            message=_("unknown tag '%(tag)s'; tags are %(tags)s")
            % {"tag": unknown[0], "tags": ", ".join(TAGS)},
        )
    return list(dict.fromkeys(tags))


def _check_comment(comment: str) -> str:
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(
            field="comment", message=_("a comment has at most %(max)s characters") % {"max": MAX_COMMENT}
        )
    return comment


def refresh_reputation(shop_id: int, *, at: datetime) -> ShopReputation:
    """Rewrite the shop's reputation from its ratings in the 90 days up to ``at``. The caller holds the
    transaction; the reputation row is locked first, so concurrent ratings of one shop queue here."""
    row = _locked_reputation(shop_id, at)
    totals = ServiceRating.objects.filter(
        shop_id=shop_id, created_at__gt=window_start(at), created_at__lte=at
    ).aggregate(n=Count("id"), s=Sum("score"))
    _set(row, count=int(totals["n"] or 0), total=int(totals["s"] or 0), at=at)
    row.save()
    return row


def recompute_reputations(*, at: datetime | None = None) -> int:
    """Rebuild every shop's reputation from the ratings, as of ``at`` (default now): ratings older than
    90 days drop out. Returns how many rows were written. Run it once a day, or after a correction."""
    when = at or clock.now()
    with transaction.atomic():
        window = ServiceRating.objects.filter(created_at__gt=window_start(when), created_at__lte=when)
        rated_shops = set(window.values_list("shop_id", flat=True).distinct())
        ShopReputation.objects.bulk_create(
            [ShopReputation(shop_id=shop_id, computed_at=when) for shop_id in sorted(rated_shops)],
            ignore_conflicts=True,
        )
        rows = list(ShopReputation.objects.select_for_update().order_by("shop_id"))
        totals = {
            row["shop_id"]: (int(row["n"]), int(row["s"] or 0))
            for row in window.values("shop_id").annotate(n=Count("id"), s=Sum("score")).order_by()
        }
        for row in rows:
            count, total = totals.get(row.shop_id, (0, 0))
            _set(row, count=count, total=total, at=when)
        ShopReputation.objects.bulk_update(rows, ["rating_count", "rating_sum", "score", "computed_at"])
        return len(rows)


def _set(row: ShopReputation, *, count: int, total: int, at: datetime) -> None:
    row.rating_count = count
    row.rating_sum = total
    row.score = smoothed_score(count, total)
    row.computed_at = at


def _locked_reputation(shop_id: int, at: datetime) -> ShopReputation:
    row = ShopReputation.objects.select_for_update().filter(shop_id=shop_id).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            ShopReputation.objects.create(shop_id=shop_id, computed_at=at)
    except IntegrityError:
        pass  # another transaction created it first; lock theirs
    return ShopReputation.objects.select_for_update().get(shop_id=shop_id)
