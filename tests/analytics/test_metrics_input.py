"""Bad input for ``GET /metrics`` and ``GET /metrics.csv``: a 422 validation_error with a message that says
what is wrong, in the caller's language."""

from __future__ import annotations

from typing import Any

import pytest

PATHS = ["/api/v1/metrics", "/api/v1/metrics.csv"]


def _get(client: Any, token: str, path: str, lang: str = "en", **params: str) -> Any:
    return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=lang)


def _problem(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert (body["code"], body["field"]) == ("validation_error", field)
    return body


@pytest.mark.parametrize("path", PATHS)
def test_metrics_refused_when_from_is_after_to(client, world, path):
    # given a merchant
    # when they ask for a range that ends before it starts
    response = _get(client, world.merchant_token, path, **{"from": "2026-11-12", "to": "2026-11-10"})

    # then the problem names both dates
    body = _problem(response, "from")
    assert body["detail"] == "'from' (2026-11-12) is after 'to' (2026-11-10); the range needs from <= to."


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("from", "2026-11-1"),
        ("from", "2026-13-01"),
        ("to", "2026-02-30"),
        ("to", "yesterday"),
        ("from", "20261110"),
    ],
)
def test_metrics_refused_for_malformed_dates(client, world, path, field, value):
    # given a merchant
    params = {"from": "2026-11-01", "to": "2026-11-10", field: value}

    # when one of the dates is not a real YYYY-MM-DD date
    response = _get(client, world.merchant_token, path, **params)

    # then the problem names the field, the expected form and what was sent
    body = _problem(response, field)
    assert body["detail"] == (
        f"'{field}' must be a date written YYYY-MM-DD, such as 2026-11-01; got '{value}'."
    )


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({"to": "9999-12-31"}, "to", "9999-12-31"),  # a day after it is no date
        ({"to": "0001-01-01"}, "to", "0001-01-01"),  # nor are the 30 days before it
        ({"from": "1999-12-31", "to": "2000-01-10"}, "from", "1999-12-31"),
    ],
)
def test_metrics_refused_for_days_outside_the_calendar(client, world, path, params, field, value):
    # when a date lies outside the days a report may name
    response = _get(client, world.merchant_token, path, **params)

    # then it is refused by name, in English and in Chinese
    body = _problem(response, field)
    assert body["detail"] == f"'{field}' must be a day from 2000-01-01 to 2099-12-31; got '{value}'."
    chinese = _problem(_get(client, world.merchant_token, path, lang="zh-hans", **params), field)
    assert (
        "2000-01-01" in chinese["detail"]
        and "2099-12-31" in chinese["detail"]
        and "日期" in chinese["detail"]
    )


@pytest.mark.parametrize("path", PATHS)
def test_metrics_refused_for_a_range_over_366_days(client, world, path):
    # given a merchant
    # when they ask for 2025-01-01 to 2026-01-02, which is 367 days
    response = _get(client, world.merchant_token, path, **{"from": "2025-01-01", "to": "2026-01-02"})

    # then the problem says how long the range is and the limit
    body = _problem(response, "to")
    assert body["detail"] == "The range covers 367 days; at most 366 days can be asked for at once."


def test_metrics_accept_a_range_of_exactly_366_days(client, world):
    # given a merchant
    # when they ask for the leap year 2024, 366 days
    response = _get(client, world.merchant_token, PATHS[0], **{"from": "2024-01-01", "to": "2024-12-31"})

    # then it is answered, one entry per day
    assert response.status_code == 200, response.content
    assert len(response.json()["per_day"]) == 366


def test_metrics_default_to_the_last_30_days(client, world, frozen):
    # given a merchant and the clock at 2026-11-18 10:00 Shanghai
    # when they give no dates
    body = _get(client, world.merchant_token, PATHS[0]).json()

    # then the range is the 30 days ending today
    assert (body["from"], body["to"], len(body["per_day"])) == ("2026-10-20", "2026-11-18", 30)


def test_metrics_bad_input_is_explained_in_chinese_by_default(client, world):
    # given a merchant whose client sends no language preference
    response = client.get(
        PATHS[0],
        {"from": "2026-11-12", "to": "2026-11-10"},
        HTTP_AUTHORIZATION=f"Bearer {world.merchant_token}",
    )

    # then the problem's title is in Chinese
    body = _problem(response, "from")
    assert body["title"] == "请求参数有误"
