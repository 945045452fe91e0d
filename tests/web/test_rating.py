"""The buyer's rating (服务评价) on the case page: the form when the case may be rated, the rating once given,
and every refusal shown with the service's message and nothing changed."""

from __future__ import annotations

from typing import Any

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.reviews.models import ServiceRating, ShopReputation
from aftersales.timers.worker import run_due
from tests.web.conftest import Logins, page
from tests.web.support import apply_case, fields, snapshot


def _refunded(world: Any, logins: Logins) -> AfterSale:
    case = apply_case(world, logins.buyer_actor)
    services.agree(case.pk, actor=world.merchant)
    run_due()
    case.refresh_from_db()
    assert case.state == "refunded"
    return case


def _nothing_rated(case: AfterSale) -> tuple[Any, ...]:
    return (snapshot(case.pk), ServiceRating.objects.count(), ShopReputation.objects.count())


def test_a_finished_case_offers_the_rating_form_with_tags_in_chinese(world: Any, logins: Logins) -> None:
    case = _refunded(world, logins)

    html = page(logins.buyer.get(f"/buyer/cases/{case.pk}/"))

    assert 'data-action="evaluate"' in html and 'id="rating-form"' in html
    assert html.count('name="evaluate-score"') == 5
    assert "响应及时" in html and "问题未解决" in html
    assert 'name="evaluate-tags"' in html and 'name="evaluate-comment"' in html


def test_an_open_case_has_no_rating_form(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor)

    html = page(logins.buyer.get(f"/buyer/cases/{case.pk}/"))

    assert 'id="rating-form"' not in html


def test_rating_saves_it_redirects_with_a_message_and_shows_it(world: Any, logins: Logins) -> None:
    case = _refunded(world, logins)

    response = logins.buyer.post(
        f"/buyer/cases/{case.pk}/rate/",
        fields("evaluate", score="4", tags=["fast_refund", "friendly"], comment="处理很快"),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/buyer/cases/{case.pk}/#rating"
    rating = ServiceRating.objects.get(case_id=case.pk)
    assert (rating.score, rating.tags, rating.comment) == (4, ["fast_refund", "friendly"], "处理很快")
    html = page(logins.buyer.get(f"/buyer/cases/{case.pk}/"))
    assert "感谢" in html
    assert 'id="rating-form"' not in html
    assert "★★★★☆" in html and "退款迅速" in html and "态度友好" in html and "处理很快" in html


def test_rating_twice_is_refused_with_the_message_and_nothing_changes(world: Any, logins: Logins) -> None:
    case = _refunded(world, logins)
    logins.buyer.post(f"/buyer/cases/{case.pk}/rate/", fields("evaluate", score="5"))
    before = _nothing_rated(case)

    response = logins.buyer.post(f"/buyer/cases/{case.pk}/rate/", fields("evaluate", score="1"))

    assert response.status_code == 409
    html = page(response)
    assert 'data-code="already_rated"' in html
    assert f"售后单 {case.pk} 的服务已评价" in html
    assert _nothing_rated(case) == before
    assert ServiceRating.objects.get(case_id=case.pk).score == 5


def test_a_score_outside_1_to_5_is_refused_and_nothing_changes(world: Any, logins: Logins) -> None:
    case = _refunded(world, logins)
    before = _nothing_rated(case)

    for score in ("6", "0", ""):
        response = logins.buyer.post(f"/buyer/cases/{case.pk}/rate/", fields("evaluate", score=score))

        assert response.status_code == 422
        html = page(response)
        assert 'data-code="validation_error"' in html
        assert "请选择 1 到 5 星的评分。" in html
        assert 'id="rating-form"' in html
    assert _nothing_rated(case) == before


def test_rating_an_open_case_is_refused_and_nothing_changes(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor)
    before = _nothing_rated(case)

    response = logins.buyer.post(f"/buyer/cases/{case.pk}/rate/", fields("evaluate", score="5"))

    assert response.status_code == 409
    assert 'data-code="action_not_allowed"' in page(response)
    assert _nothing_rated(case) == before


def test_the_survey_card_in_the_chat_links_to_the_rating_form(world: Any, logins: Logins) -> None:
    case = _refunded(world, logins)

    html = page(logins.buyer.get(f"/buyer/orders/{case.order_sn}/chat/"))

    assert f'href="/buyer/cases/{case.pk}/#rating"' in html
