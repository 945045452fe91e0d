"""The shop's service score, a smoothed average of the last 90 days' ratings, and the platform's ranking."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from aftersales.core import clock
from aftersales.reviews import services as reviews
from aftersales.reviews.models import PRIOR_MEAN, PRIOR_WEIGHT, ShopReputation, smoothed_score
from aftersales.reviews.queries import ranking
from tests.acceptance.support import problem
from tests.factories import World, make_order, make_world, sh
from tests.reviews.support import refunded


def _rate(world: World, *scores: int) -> None:
    """One refunded case per score, each by its own buyer, rated with that score."""
    for score in scores:
        buyer, _ = world.buyer()
        case = refunded(world, buyer, make_order(world, buyer, paid_at=clock.now() - timedelta(days=2)))
        reviews.evaluate(case.pk, actor=buyer, score=score)


def test_smoothed_score_matches_the_worked_example():
    # given the documented prior: mean m = 4.0 with the weight of C = 10 ratings
    assert (Decimal("4.0"), 10) == (PRIOR_MEAN, PRIOR_WEIGHT)
    # when ratings 5, 5, 4, 3, 5 are smoothed: n = 5, Σ = 22
    score = smoothed_score(5, 22)
    # then (10 · 4.0 + 22) / (10 + 5) = 62 / 15 = 4.1333… → 4.133
    assert score == Decimal("4.133")
    # and with no ratings the score is the prior mean
    assert smoothed_score(0, 0) == Decimal("4.000")
    # and 100 ratings of 1 pull it close to 1: (40 + 100) / 110 = 1.2727… → 1.273
    assert smoothed_score(100, 100) == Decimal("1.273")


def test_shop_reputation_follows_each_rating_as_it_arrives(world, frozen):
    # given a shop whose buyers rate five cases 5, 5, 4, 3, 5
    _rate(world, 5, 5, 4, 3)
    after_four = ShopReputation.objects.get(shop=world.shop)
    # (40 + 17) / 14 = 4.0714… → 4.071
    assert (after_four.rating_count, after_four.rating_sum, after_four.score) == (4, 17, Decimal("4.071"))

    # when the fifth rating arrives
    _rate(world, 5)

    # then the stored score is the worked example's: 62 / 15 → 4.133
    reputation = ShopReputation.objects.get(shop=world.shop)
    assert (reputation.rating_count, reputation.rating_sum, reputation.score) == (5, 22, Decimal("4.133"))


def test_recompute_from_ratings_drops_ratings_older_than_90_days(world, frozen):
    # given ratings 1 and 1 made on 2026-08-01 and a rating 5 made on 2026-11-18
    frozen.at(sh(2026, 8, 1, 10))
    _rate(world, 1, 1)
    frozen.at(sh(2026, 11, 18, 10))
    _rate(world, 5)
    # (the rating on 11-18 rewrote the row from the last 90 days: only the 5 counts, (40 + 5) / 11 → 4.091)
    assert ShopReputation.objects.get(shop=world.shop).score == Decimal("4.091")

    # when the reputations are rebuilt from the ratings as of 2026-10-20, then as of 2027-03-01
    reviews.recompute_reputations(at=sh(2026, 10, 20, 10))
    in_october = ShopReputation.objects.get(shop=world.shop)
    reviews.recompute_reputations(at=sh(2027, 3, 1, 10))
    in_march = ShopReputation.objects.get(shop=world.shop)

    # then on 10-20 the two August ratings count: (40 + 2) / 12 = 3.5
    assert (in_october.rating_count, in_october.score) == (2, Decimal("3.500"))
    # and by March every rating has aged out: the prior mean
    assert (in_march.rating_count, in_march.rating_sum, in_march.score) == (0, 0, Decimal("4.000"))


def test_ranking_orders_by_score_then_count_and_ranks_a_shop_without_ratings(world, frozen):
    # given four shops: A rated 5 and 5, B rated 4 (score 4.000, one rating), C never rated, D rated 1
    a, b, c, d = world, make_world("shop-b"), make_world("shop-c"), make_world("shop-d")
    _rate(a, 5, 5)  # (40 + 10) / 12 = 4.1666… → 4.167
    _rate(b, 4)  # (40 + 4) / 11 = 4.000
    _rate(d, 1)  # (40 + 1) / 11 = 3.7272… → 3.727

    # when the platform ranks the shops
    rows = {row["shop"]: row for row in ranking()}

    # then A leads; B and C tie on 4.000 and B's one rating puts it first; D is last
    assert [(rows[s.shop.code]["rank"], rows[s.shop.code]["score"], rows[s.shop.code]["rating_count"])
            for s in (a, b, c, d)] == [(1, 4.167, 2), (2, 4.0, 1), (3, 4.0, 0), (4, 3.727, 1)]  # fmt: skip
    # and the never-rated shop has the prior mean and a rank, with no computation time
    assert rows["shop-c"]["computed_at"] is None


def test_ranking_gives_shops_with_equal_score_and_count_one_rank(db, frozen):
    # given three shops, none rated
    for code in ("tie-1", "tie-2", "tie-3"):
        make_world(code)

    # when they are ranked
    rows = ranking()

    # then all share rank 1 and are listed by code
    assert [(row["rank"], row["shop"], row["score"]) for row in rows] == [
        (1, "tie-1", 4.0),
        (1, "tie-2", 4.0),
        (1, "tie-3", 4.0),
    ]


def test_ranking_endpoint_is_for_the_platform(api, world, frozen):
    # given a rated shop
    _rate(world, 5)
    buyer_token = world.buyer()[1]

    # when the platform, the merchant and a buyer ask for the ranking
    body = api(world.platform_token).ok(api(world.platform_token).get("/shops/ranking"))

    # then the platform gets it, the others are forbidden
    assert body["items"][0]["shop"] == world.shop.code
    assert body["items"][0]["score"] == 4.091
    problem(api(world.merchant_token).get("/shops/ranking"), 403, "forbidden")
    problem(api(buyer_token).get("/shops/ranking"), 403, "forbidden")
