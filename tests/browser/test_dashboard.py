"""The merchant's dashboard in a real browser: the chart is drawn and the page is in Chinese. The README's
screenshot of the dashboard comes from here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.analytics import test_metrics
from tests.analytics.test_metrics import History
from tests.browser.conftest import needs_chromium

pytestmark = [needs_chromium, pytest.mark.usefixtures("transactional_db")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

history = test_metrics.history  # the hand-built history of the metrics tests


def test_the_merchant_dashboard_draws_its_chart(person: Any, staff: Any, history: History) -> None:
    merchant = person(staff["merchant"])

    merchant.goto("/workbench/")
    merchant.get_by_role("link", name="售后数据").click()
    merchant.fill("input[name=from]", "2026-11-01")
    merchant.fill("input[name=to]", "2026-11-14")
    merchant.get_by_role("button", name="查询").click()

    chart = merchant.locator("#trend-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 100
    expect(merchant.locator("#trend-chart g.day")).to_have_count(14)
    expect(merchant.locator('[data-metric="after_sales_rate"] .metric-label')).to_have_text("售后率")
    expect(merchant.locator("#top-reasons")).to_contain_text("质量问题")
    expect(merchant.locator("#csv-export")).to_be_visible()
    merchant.screenshot(path=str(SCREENSHOTS / "workbench-dashboard.png"), full_page=True)
