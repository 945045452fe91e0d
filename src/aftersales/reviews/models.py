"""Service ratings (服务评价) and each shop's service score (domain.md section 10).

A buyer rates the after-sales service of a finished case once: a score of 1 to 5, tags from a fixed list,
and a comment of at most 500 characters.

The shop's **service score** is a smoothed (Bayesian) average of the ratings of the last 90 days::

    score = (C · m + Σ ratings) / (C + n)

where ``n`` is the number of ratings in the window, ``Σ ratings`` their sum, ``m`` = 4.0 the prior mean
(what a shop is assumed to deserve before its buyers say otherwise) and ``C`` = 10 the prior's weight, in
ratings. A shop with no ratings scores ``m``; a few ratings move the score a little, many move it close to
their plain average. Worked example: ratings 5, 5, 4, 3, 5 → n = 5, Σ = 22, score = (10 · 4.0 + 22) / (10 + 5)
= 62 / 15 = 4.133 (rounded half up to 3 decimals).

``ShopReputation`` keeps the score per shop, rewritten from the ratings in the same transaction as each new
rating; ``reviews.services.recompute_reputations`` rebuilds every row from the ratings for a given time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from aftersales.accounts.models import Buyer, Shop

PRIOR_MEAN = Decimal("4.0")  # m
PRIOR_WEIGHT = 10  # C
WINDOW = timedelta(days=90)
SCORE_PLACES = Decimal("0.001")
MIN_SCORE, MAX_SCORE = 1, 5
MAX_COMMENT = 500


@dataclass(frozen=True)
class Tag:
    code: str
    label: Promise
    positive: bool


TAGS: dict[str, Tag] = {
    tag.code: tag
    for tag in (
        Tag("fast_response", _("Fast response"), True),
        Tag("friendly", _("Friendly"), True),
        Tag("professional", _("Professional handling"), True),
        Tag("fast_refund", _("Fast refund"), True),
        Tag("patient", _("Patient communication"), True),
        Tag("slow_response", _("Slow response"), False),
        Tag("evasive", _("Passed the buck"), False),
        Tag("unfriendly", _("Unfriendly"), False),
        Tag("slow_refund", _("Slow refund"), False),
        Tag("unresolved", _("Problem not solved"), False),
    )
}


def window_start(at: datetime) -> datetime:
    """The score at ``at`` counts the ratings made after this instant and up to ``at``."""
    return at - WINDOW


def smoothed_score(count: int, total: int) -> Decimal:
    """``(C · m + Σ) / (C + n)``, rounded half up to 3 decimals; ``m`` when there are no ratings."""
    raw = (PRIOR_WEIGHT * PRIOR_MEAN + Decimal(total)) / Decimal(PRIOR_WEIGHT + count)
    return raw.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


class ServiceRating(models.Model):
    """One buyer's rating of one finished case. Never edited."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    case = models.OneToOneField("cases.AfterSale", on_delete=models.CASCADE, related_name="rating")
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT)
    score = models.PositiveSmallIntegerField()
    tags = models.JSONField(default=list, blank=True)
    comment = models.CharField(max_length=MAX_COMMENT, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=MIN_SCORE, score__lte=MAX_SCORE), name="rating_score_1_to_5"
            ),
        ]
        indexes = [models.Index(fields=["shop", "created_at"], name="rating_shop_created")]


class ShopReputation(models.Model):
    """A shop's service score over the 90 days before ``computed_at``, and the numbers it comes from."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="reputation")
    rating_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    score = models.DecimalField(max_digits=5, decimal_places=3, default=PRIOR_MEAN)
    computed_at = models.DateTimeField()
