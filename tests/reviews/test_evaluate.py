"""The buyer's rating of a finished case (domain.md section 10): once, by that case's buyer, after the case
finished; every refusal has its code and stores nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aftersales.cases import services
from aftersales.cases.models import AfterSale, CaseEvent
from aftersales.cases.queries import get_case
from aftersales.cases.views import case_view
from aftersales.core.errors import (
    ActionNotAllowed,
    AlreadyRated,
    Forbidden,
    NotFound,
    StaleVersion,
    ValidationFailed,
)
from aftersales.reviews import services as reviews
from aftersales.reviews.models import ServiceRating, ShopReputation
from aftersales.timers.worker import run_due
from tests.acceptance.support import problem
from tests.factories import make_order, sh
from tests.reviews.support import refund_only, refunded


def _stored(case: AfterSale) -> tuple[int, int, int]:
    """(ratings, evaluate events, reputation rows) for the case and its shop."""
    return (
        ServiceRating.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case, action="evaluate").count(),
        ShopReputation.objects.filter(shop_id=case.shop_id).count(),
    )


def test_evaluate_records_rating_event_and_reputation_when_case_refunded(world, frozen):
    # given a refunded case
    buyer, _ = world.buyer()
    case = refunded(world, buyer, make_order(world, buyer))
    version = AfterSale.objects.get(pk=case.pk).version
    rated_at = frozen.at(sh(2026, 11, 18, 12))

    # when its buyer rates the service 5 with two tags and a comment
    rating = reviews.evaluate(
        case.pk, actor=buyer, score=5, tags=["fast_refund", "friendly", "fast_refund"], comment="  很满意  "
    )

    # then the rating is stored, tags once each and the comment trimmed
    assert (rating.score, rating.tags, rating.comment) == (5, ["fast_refund", "friendly"], "很满意")
    assert (rating.shop_id, rating.buyer_id, rating.created_at) == (world.shop.pk, buyer.buyer_id, rated_at)
    # and the timeline has one evaluate event by the buyer, the state unchanged
    event = CaseEvent.objects.get(case=case, action="evaluate")
    assert (event.actor_role, event.actor_id, event.from_state, event.to_state, event.at) == (
        "buyer", buyer.id, "refunded", "refunded", rated_at
    )  # fmt: skip
    assert event.data == {
        "rating_id": rating.pk,
        "score": 5,
        "tags": ["fast_refund", "friendly"],
        "comment": "很满意",
    }
    assert AfterSale.objects.get(pk=case.pk).version == version + 1
    # and the shop's reputation is (10 · 4.0 + 5) / (10 + 1) = 45 / 11 = 4.0909… → 4.091
    reputation = ShopReputation.objects.get(shop=world.shop)
    assert (reputation.rating_count, reputation.rating_sum, reputation.score) == (1, 5, Decimal("4.091"))
    assert reputation.computed_at == rated_at


def test_evaluate_offered_in_allowed_actions_only_to_buyer_of_finished_unrated_case(world, frozen):
    # given an open case and a refunded one of the same buyer
    buyer, _ = world.buyer()
    open_case = refund_only(buyer, make_order(world, buyer))
    done = refunded(world, buyer, make_order(world, buyer, items=[("CHARGER", 1, 3990)]), sku="CHARGER")
    other, _ = world.buyer()

    # when each caller looks at the cases
    # then only the buyer of the finished case is offered evaluate
    assert "evaluate" not in case_view(get_case(open_case.pk, buyer), buyer)["allowed_actions"]
    assert case_view(get_case(done.pk, buyer), buyer)["allowed_actions"] == ["evaluate"]
    assert "evaluate" not in case_view(get_case(done.pk, world.merchant), world.merchant)["allowed_actions"]
    assert "evaluate" not in case_view(get_case(done.pk, world.platform), world.platform)["allowed_actions"]
    with pytest.raises(NotFound):
        get_case(done.pk, other)

    # and once rated, it is offered no more
    reviews.evaluate(done.pk, actor=buyer, score=4)
    assert case_view(get_case(done.pk, buyer), buyer)["allowed_actions"] == []


def test_evaluate_refused_when_already_rated(world, frozen):
    # given a case its buyer has rated
    buyer, _ = world.buyer()
    case = refunded(world, buyer, make_order(world, buyer))
    reviews.evaluate(case.pk, actor=buyer, score=5)

    # when the buyer rates it again
    with pytest.raises(AlreadyRated) as refused:
        reviews.evaluate(case.pk, actor=buyer, score=1, comment="改主意了")

    # then it is refused with already_rated (409) and the first rating stands alone
    assert (refused.value.code, refused.value.status) == ("already_rated", 409)
    assert _stored(case) == (1, 1, 1)
    assert ServiceRating.objects.get(case=case).score == 5


@pytest.mark.parametrize("step", ["pending_merchant", "refunding"])
def test_evaluate_refused_before_case_finished(world, frozen, step):
    # given a case still waiting on the merchant, or on the payment
    buyer, _ = world.buyer()
    case = refund_only(buyer, make_order(world, buyer))
    if step == "refunding":
        services.agree(case.pk, actor=world.merchant)

    # when its buyer tries to rate it
    with pytest.raises(ActionNotAllowed) as refused:
        reviews.evaluate(case.pk, actor=buyer, score=5)

    # then it is refused with action_not_allowed naming the state, and nothing is stored
    assert (refused.value.code, refused.value.status) == ("action_not_allowed", 409)
    assert refused.value.params["state"] == step
    assert refused.value.params["action"] == "evaluate"
    assert _stored(case) == (0, 0, 0)


def test_evaluate_refused_when_case_closed(world, frozen):
    # given a case the buyer cancelled
    buyer, _ = world.buyer()
    case = refund_only(buyer, make_order(world, buyer))
    services.cancel(case.pk, actor=buyer)

    # when the buyer tries to rate it
    with pytest.raises(ActionNotAllowed) as refused:
        reviews.evaluate(case.pk, actor=buyer, score=3)

    # then closed cases are not rated
    assert refused.value.params == {"action": "evaluate", "state": "closed", "allowed_actions": []}
    assert _stored(case) == (0, 0, 0)


def test_evaluate_refused_for_another_buyer(world, frozen):
    # given a refunded case and a buyer who is not its buyer
    buyer, _ = world.buyer()
    case = refunded(world, buyer, make_order(world, buyer))
    stranger, _ = world.buyer()

    # when the stranger rates it
    with pytest.raises(NotFound) as refused:
        reviews.evaluate(case.pk, actor=stranger, score=1)

    # then the case does not exist for them, and nothing is stored
    assert (refused.value.code, refused.value.status) == ("not_found", 404)
    assert _stored(case) == (0, 0, 0)


@pytest.mark.parametrize("who", ["merchant", "platform"])
def test_evaluate_refused_for_staff(world, frozen, who):
    # given a refunded case
    buyer, _ = world.buyer()
    case = refunded(world, buyer, make_order(world, buyer))

    # when the merchant or the platform tries to rate it
    with pytest.raises(Forbidden) as refused:
        reviews.evaluate(case.pk, actor=getattr(world, who), score=5)

    # then only buyers rate
    assert (refused.value.code, refused.value.params["allowed_roles"]) == ("forbidden", ["buyer"])
    assert _stored(case) == (0, 0, 0)


@pytest.mark.parametrize(
    ("score", "tags", "comment", "field"),
    [
        (0, [], "", "score"),
        (6, [], "", "score"),
        (True, [], "", "score"),
        (5, ["fast_response", "cheap"], "", "tags"),
        (5, [], "好" * 501, "comment"),
    ],
)
def test_evaluate_refused_for_invalid_input(world, frozen, score, tags, comment, field):
    # given a refunded case
    buyer, _ = world.buyer()
    case = refunded(world, buyer, make_order(world, buyer))

    # when its buyer sends a score outside 1–5, an unknown tag or an overlong comment
    with pytest.raises(ValidationFailed) as refused:
        reviews.evaluate(case.pk, actor=buyer, score=score, tags=tags, comment=comment)

    # then it is a validation_error on that field, and nothing is stored
    assert (refused.value.code, refused.value.status, refused.value.params["field"]) == (
        "validation_error", 422, field
    )  # fmt: skip
    assert _stored(case) == (0, 0, 0)


def test_evaluate_refused_for_stale_version(world, frozen):
    # given a refunded case and a version from before it settled
    buyer, _ = world.buyer()
    case = refund_only(buyer, make_order(world, buyer))
    old_version = case.version
    services.agree(case.pk, actor=world.merchant)
    run_due()

    # when the buyer rates it with the old version
    with pytest.raises(StaleVersion):
        reviews.evaluate(case.pk, actor=buyer, score=5, version=old_version)

    # then nothing is stored
    assert _stored(case) == (0, 0, 0)


def test_evaluate_over_http_returns_the_case_and_refuses_with_problem_codes(api, world, frozen):
    # given a refunded case, its buyer and another buyer
    buyer, token = world.buyer()
    case = refunded(world, buyer, make_order(world, buyer))
    _, stranger_token = world.buyer()
    b, s, m = api(token), api(stranger_token), api(world.merchant_token)
    path = f"/after-sales/{case.pk}/evaluate"

    # when bad input, a stranger and the merchant try first
    problem(b.post(path, {"score": 0}), 422, "validation_error")
    problem(b.post(path, {"score": 6}), 422, "validation_error")
    problem(b.post(path, {"score": 5, "tags": ["not_a_tag"]}), 422, "validation_error")
    problem(s.post(path, {"score": 5}), 404, "not_found")
    problem(m.post(path, {"score": 5}), 403, "forbidden")
    assert _stored(case) == (0, 0, 0)

    # when the buyer rates it
    body = b.ok(b.post(path, {"score": 4, "tags": ["patient"], "comment": "客服很耐心"}))

    # then the answer is the case, without evaluate among the actions
    assert (body["id"], body["state"], body["allowed_actions"]) == (case.pk, "refunded", [])
    assert "risk_flags" not in body
    # and a second rating is already_rated
    problem(b.post(path, {"score": 5}), 409, "already_rated")
    assert _stored(case) == (1, 1, 1)


def test_evaluate_before_finish_over_http_is_action_not_allowed(api, world, frozen):
    # given a case waiting on the merchant
    buyer, token = world.buyer()
    case = refund_only(buyer, make_order(world, buyer))
    b = api(token)

    # when its buyer rates it
    body = problem(b.post(f"/after-sales/{case.pk}/evaluate", {"score": 5}), 409, "action_not_allowed")

    # then the problem names the state and what the buyer may do now
    assert (body["state"], body["allowed_actions"]) == ("pending_merchant", ["cancel"])


def test_rating_tags_are_the_fixed_list_in_the_callers_language(api, world, frozen):
    # given a buyer
    _, token = world.buyer()

    # when the tag list is read in English
    items = api(token, lang="en").ok(api(token, lang="en").get("/rating-tags"))["items"]

    # then the positive tags come first and every tag has a label
    codes = [tag["code"] for tag in items]
    assert codes[:5] == ["fast_response", "friendly", "professional", "fast_refund", "patient"]
    assert {"slow_response", "evasive"} <= set(codes)
    assert items[0] == {"code": "fast_response", "label": "Fast response", "positive": True}
