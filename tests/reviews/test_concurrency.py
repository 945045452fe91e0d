"""Ratings arriving at the same moment (PostgreSQL only: SQLite serialises writers, so there is no race to
see). One case is rated once however many requests race; a shop's reputation counts every rating."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from aftersales.core.errors import AlreadyRated
from aftersales.reviews import services as reviews
from aftersales.reviews.models import ServiceRating, ShopReputation
from tests.conftest import postgres_only
from tests.factories import make_order
from tests.reviews.support import refunded

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def _together(calls: list[Callable[[], object]]) -> list[object]:
    """Each call in its own thread (its own connection), all released at once; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[i] = calls[i]()
        except Exception as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_one_case_rated_twice_at_once_keeps_one_rating(world, frozen):
    # given a refunded case
    buyer, _ = world.buyer()
    case = refunded(world, buyer, make_order(world, buyer))

    # when its buyer sends two ratings at the same moment
    outcomes = _together([lambda s=s: reviews.evaluate(case.pk, actor=buyer, score=s) for s in (5, 1)])

    # then one is stored and the other is already_rated
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRated", "ServiceRating"], outcomes
    assert any(isinstance(o, AlreadyRated) for o in outcomes)
    assert ServiceRating.objects.filter(case=case).count() == 1


def test_ratings_of_one_shop_at_once_all_count_in_its_reputation(world, frozen):
    # given four refunded cases of four buyers in a shop that has no reputation row yet
    rated = []
    for _ in range(4):
        buyer, _token = world.buyer()
        rated.append((refunded(world, buyer, make_order(world, buyer)), buyer))

    # when the four buyers rate 5, 4, 3 and 2 at the same moment
    outcomes = _together(
        [
            lambda c=c, b=b, s=s: reviews.evaluate(c.pk, actor=b, score=s)
            for (c, b), s in zip(rated, (5, 4, 3, 2), strict=True)
        ]
    )

    # then all four are stored and the one reputation row counts them: (40 + 14) / 14 = 3.857
    assert all(isinstance(o, ServiceRating) for o in outcomes), outcomes
    reputation = ShopReputation.objects.get(shop=world.shop)
    assert (reputation.rating_count, reputation.rating_sum, reputation.score) == (4, 14, Decimal("3.857"))
