"""Risk flags on the case pages: the merchant and the platform see the case's flags and the buyer's, each with
its reason in words, in a marked box; the buyer never sees them."""

from __future__ import annotations

from typing import Any

from aftersales.cases.models import AfterSale
from tests.factories import sh
from tests.web.conftest import Logins, page
from tests.web.support import apply_case


def _flagged(world: Any, logins: Logins, frozen: Any) -> AfterSale:
    """The logged-in buyer's third application in three days, twice for the same SKU."""
    frozen.at(sh(2026, 11, 17, 9))
    apply_case(world, logins.buyer_actor, items=[("PHONE-CASE", 1, 1990)])
    frozen.at(sh(2026, 11, 17, 10))
    apply_case(world, logins.buyer_actor, items=[("CABLE", 1, 990)])
    frozen.at(sh(2026, 11, 17, 11))
    return apply_case(world, logins.buyer_actor, items=[("PHONE-CASE", 1, 1990)])


def test_the_merchant_sees_the_case_and_buyer_flags_with_their_reasons(
    world: Any, logins: Logins, frozen: Any
) -> None:
    case = _flagged(world, logins, frozen)

    html = page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))

    assert 'id="risk-flags"' in html and "风险提示" in html
    assert 'data-flag="repeated_sku"' in html and 'data-flag="many_cases"' in html
    assert "PHONE-CASE" in html


def test_the_platform_sees_the_flags_too(world: Any, logins: Logins, frozen: Any) -> None:
    case = _flagged(world, logins, frozen)

    html = page(logins.platform.get(f"/platform/cases/{case.pk}/"))

    assert 'id="risk-flags"' in html
    assert 'data-flag="repeated_sku"' in html and 'data-flag="many_cases"' in html


def test_the_buyer_never_sees_flags(world: Any, logins: Logins, frozen: Any) -> None:
    case = _flagged(world, logins, frozen)

    html = page(logins.buyer.get(f"/buyer/cases/{case.pk}/"))

    assert "risk-flags" not in html and "data-flag" not in html and "风险提示" not in html


def test_a_case_without_flags_shows_no_box(world: Any, logins: Logins) -> None:
    case = apply_case(world, logins.buyer_actor)

    assert 'id="risk-flags"' not in page(logins.merchant.get(f"/workbench/cases/{case.pk}/"))
