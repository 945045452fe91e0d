"""The dashboards: the merchant's numbers for their shop over a range, drawn as cards, an SVG chart and bars;
the CSV export; bad ranges shown on the page; the platform's view of every shop or one, and the rankings."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from aftersales.reviews.services import recompute_reputations
from tests.analytics import test_metrics
from tests.analytics.test_metrics import History
from tests.web.conftest import Logins, page

RANGE = {"from": "2026-11-10", "to": "2026-11-12"}

history = test_metrics.history  # the hand-built history of the metrics tests


def _card(html: str, key: str) -> str:
    found = re.search(
        rf'data-metric="{key}"><div class="metric-label">[^<]*</div><div class="metric-value">([^<]*)<', html
    )
    assert found, key
    return found.group(1)


def test_the_merchant_dashboard_shows_the_numbers_of_the_range(logins: Logins, history: History) -> None:
    html = page(logins.merchant.get("/workbench/dashboard/", RANGE))

    assert "2026-11-10 至 2026-11-12：支付订单 8 笔，发起售后 5 单。" in html
    assert _card(html, "after_sales_rate") == "62.50%"
    assert _card(html, "refund_rate") == "37.50%"
    assert _card(html, "intervention_rate") == "12.50%"
    assert _card(html, "dispute_refund_rate") == "12.50%"
    assert _card(html, "first_response_p50_s") == "1.0 小时"
    assert _card(html, "first_response_p90_s") == "2.0 小时"
    assert _card(html, "resolution_p50_s") == "2.0 小时"
    assert _card(html, "deadlines_met_rate") == "75.00%"
    assert _card(html, "rating_avg") == "2.67（3 条评价）"
    assert _card(html, "service_score") == "3.923"
    # the chart: one group of bars per day and the interventions line
    assert '<svg id="trend-chart"' in html
    assert html.count('<g class="day"') == 3
    assert '<polyline class="line-interventions"' in html
    # top reasons with their labels, top SKUs
    reasons = html[html.index('id="top-reasons"') : html.index('id="top-skus"')]
    assert "质量问题" in reasons and "少件/漏发" in reasons
    assert "CASE-A" in html[html.index('id="top-skus"') :]
    assert 'href="/workbench/dashboard.csv?from=2026-11-10&amp;to=2026-11-12"' in html


def test_the_dashboard_defaults_to_the_last_30_days(logins: Logins, history: History) -> None:
    html = page(logins.merchant.get("/workbench/dashboard/"))

    assert 'name="from" value="2026-10-17"' in html and 'name="to" value="2026-11-15"' in html
    assert html.count('<g class="day"') == 30
    assert 'href="/workbench/dashboard/" class="active"' in html


def test_the_csv_export_is_the_apis_csv_for_the_merchants_shop(
    client: Any, logins: Logins, history: History
) -> None:
    response = logins.merchant.get("/workbench/dashboard.csv", RANGE)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["date", "orders", "cases"]
    assert [row[0] for row in rows[1:]] == ["2026-11-10", "2026-11-11", "2026-11-12", "total"]
    assert rows[-1][1:3] == ["8", "5"]
    api = client.get(
        "/api/v1/metrics.csv", RANGE, HTTP_AUTHORIZATION=f"Bearer {history.world.merchant_token}"
    )
    assert response.content == api.content
    assert response["Content-Disposition"] == api["Content-Disposition"]


def test_bad_ranges_show_the_message_and_keep_the_typed_dates(logins: Logins, history: History) -> None:
    cases = [
        ({"from": "2026-11-12", "to": "2026-11-10"}, "晚于结束日期"),
        ({"from": "2026-13-01", "to": "2026-11-10"}, "YYYY-MM-DD"),
        ({"from": "2025-01-01", "to": "2026-11-10"}, "最多"),
        ({"from": "9999-12-01", "to": "9999-12-31"}, "2099-12-31"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "2000-01-01"),
    ]
    for params, message in cases:
        response = logins.merchant.get("/workbench/dashboard/", params)

        assert response.status_code == 422
        html = page(response)
        assert 'role="alert"' in html and message in html
        assert f'name="from" value="{params["from"]}"' in html
        assert f'name="to" value="{params["to"]}"' in html
        assert "trend-chart" not in html
    csv_response = logins.merchant.get("/workbench/dashboard.csv", cases[0][0])
    assert csv_response.status_code == 422 and "晚于结束日期" in page(csv_response)


def test_the_platform_dashboard_covers_every_shop_or_one(logins: Logins, history: History) -> None:
    every = page(logins.platform.get("/platform/dashboard/", RANGE))
    one = page(logins.platform.get("/platform/dashboard/", {**RANGE, "shop": history.world.shop.code}))

    assert "支付订单 9 笔" in every and "<svg" in every
    assert "支付订单 8 笔" in one
    assert f'<option value="{history.world.shop.code}" selected>' in one
    assert 'name="shop"' in every
    csv_response = logins.platform.get("/platform/dashboard.csv", {**RANGE, "shop": "other-shop"})
    assert csv_response["Content-Type"].startswith("text/csv")


def test_a_merchant_and_a_buyer_cannot_open_the_platform_dashboard(logins: Logins) -> None:
    assert logins.merchant.get("/platform/dashboard/").status_code == 403
    assert logins.buyer.get("/workbench/dashboard/").status_code == 403


def test_the_platform_ranks_shops_by_service_score(logins: Logins, history: History) -> None:
    recompute_reputations()

    html = page(logins.platform.get("/platform/rankings/"))

    rows = re.findall(r'<tr data-shop="([^"]+)"><td class="num">(\d+)</td>', html)
    # the other shop has no ratings and scores the prior 4.000; the history's shop 3.923 (or lower)
    assert [code for code, _ in rows] == ["other-shop", history.world.shop.code]
    assert [rank for _, rank in rows] == ["1", "2"]
    assert "4.000" in html
