"""May this buyer apply? domain.md section 5, rule by rule, in order, over plain facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from aftersales.cases import policy
from aftersales.cases.policy import ApplicationFacts, check_application, check_refund_amount, window_ends_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
TZ = "Asia/Shanghai"


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


SIGNED = sh(2026, 11, 15, 10, 0)

# Facts every rule accepts: a paid, signed order of this buyer, three days after signing, nothing open.
GOOD = ApplicationFacts(
    at=sh(2026, 11, 18, 10),
    case_type="return_refund",
    order_paid=True,
    buyer_owns_order=True,
    entry_closed_reason="",
    open_case_id=None,
    applications_used=0,
    signed_at=SIGNED,
    shipped=True,
    time_zone=TZ,
    merchant_fault=False,
    excluded_skus=(),
    refund_fen=1990,
    refundable_fen=1990,
    recent_cases_same_sku=0,
)


def facts(**changes: object) -> ApplicationFacts:
    return replace(GOOD, **changes)


def test_application_passing_every_rule_is_allowed():
    # given facts that break no rule
    # when checked
    decision = check_application(GOOD)
    # then it is allowed, with no code
    assert decision.ok is True
    assert decision.code == ""


def test_defaults_are_the_spec_numbers():
    # given section 5's defaults
    # then the policy uses them: 3 applications, 7 days, 3 cases in 30 days
    assert (policy.MAX_APPLICATIONS, policy.WINDOW_DAYS) == (3, 7)
    assert (policy.ABUSE_CASES, policy.ABUSE_DAYS) == (3, 30)
    assert (GOOD.max_applications, GOOD.window_days, GOOD.abuse_cases) == (3, 7, 3)


# ---- rule 1: the order belongs to this buyer and is paid ------------------------------------------------


def test_rule1_order_of_another_buyer_is_not_found():
    # given an order that is not the buyer's
    # when checked
    decision = check_application(facts(buyer_owns_order=False))
    # then it is not_found, so the buyer learns nothing about the order
    assert (decision.ok, decision.code) == (False, "not_found")


def test_rule1_unpaid_order_is_not_found():
    # given an order not yet paid
    # when checked
    decision = check_application(facts(order_paid=False))
    # then it is not_found
    assert (decision.ok, decision.code) == (False, "not_found")


# ---- rule 2: the entry is open ------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["platform", "suspected_abuse"])
def test_rule2_closed_entry_is_refused_with_its_reason(reason):
    # given an order whose after-sales entry was closed
    # when checked
    decision = check_application(facts(entry_closed_reason=reason))
    # then it is entry_closed, saying why
    assert (decision.ok, decision.code) == (False, "entry_closed")
    assert decision.params == {"entry_closed_reason": reason}


# ---- rule 3: no other case open on the same item ----------------------------------------------------------


def test_rule3_open_case_on_the_item_is_refused():
    # given a case still open on the same order item
    # when checked
    decision = check_application(facts(open_case_id=42))
    # then it is case_already_open, naming the open case
    assert (decision.ok, decision.code) == (False, "case_already_open")
    assert decision.params == {"case_id": 42}


# ---- rule 4: at most three applications per order ------------------------------------------------------


def test_rule4_third_application_is_allowed():
    # given two applications used
    # when the third is checked
    decision = check_application(facts(applications_used=2))
    # then it is allowed
    assert decision.ok is True


def test_rule4_fourth_application_is_refused():
    # given three applications used, whatever their outcome
    # when a fourth is checked
    decision = check_application(facts(applications_used=3))
    # then it is max_applications_reached, naming the numbers
    assert (decision.ok, decision.code) == (False, "max_applications_reached")
    assert decision.params == {"applications_used": 3, "max_applications": 3}


def test_rule4_shop_policy_may_change_the_limit():
    # given a shop allowing 5 applications, with 3 used
    # when checked
    decision = check_application(facts(applications_used=3, max_applications=5))
    # then it is allowed
    assert decision.ok is True


# ---- rule 5: within the window -----------------------------------------------------------------------


def test_rule5_last_second_of_the_seventh_day_is_accepted():
    # given an order signed 2026-11-15 10:00 Shanghai: the window ends at 24:00 of 2026-11-22
    # when the buyer applies at 2026-11-22 23:59:59
    decision = check_application(facts(at=sh(2026, 11, 22, 23, 59, 59)))
    # then it is accepted
    assert decision.ok is True


def test_rule5_midnight_after_the_seventh_day_is_refused():
    # given the same order
    # when the buyer applies at 2026-11-23 00:00:00
    decision = check_application(facts(at=sh(2026, 11, 23, 0, 0, 0)))
    # then the window has expired, and the decision names when it was signed and when it ended
    assert (decision.ok, decision.code) == (False, "window_expired")
    assert decision.params == {"signed_at": SIGNED, "window_ends_at": sh(2026, 11, 23), "time_zone": TZ}


def test_rule5_window_compares_instants_not_wall_clock_in_utc():
    # given the same order, and "now" given in UTC
    last_second = datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    midnight = datetime(2026, 11, 22, 16, 0, 0, tzinfo=UTC)  # 00:00 on the 23rd in Shanghai
    # when checked at both
    # then the boundary is the same
    assert check_application(facts(at=last_second)).ok is True
    assert check_application(facts(at=midnight)).code == "window_expired"


def test_rule5_signed_just_before_midnight_window_ends_at_24_00_of_the_7th_following_day():
    # given an order signed at 23:59:30 on 2026-11-15: the 7 days are Nov 16 … Nov 22
    signed = sh(2026, 11, 15, 23, 59, 30)
    # when the buyer applies on the last second of Nov 22, and at midnight after it
    last = check_application(facts(signed_at=signed, at=sh(2026, 11, 22, 23, 59, 59)))
    late = check_application(facts(signed_at=signed, at=sh(2026, 11, 23, 0, 0, 0)))
    # then the first is accepted and the second refused: the window is not "7 × 24 h after signing"
    assert last.ok is True
    assert (late.ok, late.code) == (False, "window_expired")
    assert late.params["window_ends_at"] == sh(2026, 11, 23)


def test_rule5_signed_just_after_midnight_window_starts_a_day_later():
    # given an order signed at 00:00:30 on 2026-11-16, i.e. the next calendar day
    signed = sh(2026, 11, 16, 0, 0, 30)
    # when the buyer applies at midnight after Nov 22
    decision = check_application(facts(signed_at=signed, at=sh(2026, 11, 23, 0, 0, 0)))
    # then it is still within the window, which ends at 24:00 of Nov 23
    assert decision.ok is True
    assert window_ends_at(signed, TZ) == sh(2026, 11, 24)


def test_rule5_day_of_signing_is_read_in_the_shop_time_zone():
    # given an order signed at 16:30 UTC on 2026-11-15, already 00:30 of the 16th in Shanghai
    signed = datetime(2026, 11, 15, 16, 30, tzinfo=UTC)
    # when the window is computed for a Shanghai shop
    ends = window_ends_at(signed, TZ)
    # then the 7 days are counted from the Shanghai date
    assert ends == sh(2026, 11, 24)


def test_rule5_applying_before_signing_has_no_window():
    # given an order not signed for (refund-only "not received", or a return before delivery)
    # when the buyer applies long after payment
    decision = check_application(facts(signed_at=None, shipped=True, at=sh(2027, 6, 1)))
    # then no window applies
    assert decision.ok is True


def test_rule5_shop_policy_may_change_the_window():
    # given a shop with a 15-day window
    # when the buyer applies on day 10 after signing
    decision = check_application(facts(window_days=15, at=sh(2026, 11, 25, 12)))
    # then it is accepted
    assert decision.ok is True


def test_window_ends_at_is_24_00_of_day_7_in_shop_time():
    # given an order signed 2026-11-15 10:00 Shanghai
    # when the window end is computed
    ends = window_ends_at(SIGNED, TZ)
    # then it is 00:00 of 2026-11-23 Shanghai (24:00 of Nov 22), an aware datetime
    assert ends == sh(2026, 11, 23)
    assert ends == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert ends.utcoffset() is not None


def test_window_ends_at_follows_the_days_given():
    # given a 15-day shop policy and another shop time zone
    # when the window end is computed
    # then it moves with them
    assert window_ends_at(SIGNED, TZ, days=15) == sh(2026, 12, 1)
    tokyo = ZoneInfo("Asia/Tokyo")
    signed = datetime(2026, 11, 15, 23, 30, tzinfo=SHANGHAI)  # 00:30 of the 16th in Tokyo
    assert window_ends_at(signed, "Asia/Tokyo") == datetime(2026, 11, 24, tzinfo=tokyo)


# ---- rule 6: goods excluded from no-reason returns ------------------------------------------------------


@pytest.mark.parametrize("case_type", ["return_refund", "exchange"])
def test_rule6_excluded_goods_cannot_go_back_for_a_no_fault_reason(case_type):
    # given a SKU excluded by law (定作, 鲜活易腐 …) and a no-fault reason
    # when the goods would go back
    decision = check_application(facts(case_type=case_type, excluded_skus=("CAKE",), merchant_fault=False))
    # then it is no_reason_return_excluded, naming the SKU
    assert (decision.ok, decision.code) == (False, "no_reason_return_excluded")
    assert decision.params == {"sku": "CAKE"}


def test_rule6_excluded_goods_can_go_back_for_a_merchant_fault_reason():
    # given the same SKU and a merchant-fault reason (quality problem)
    # when checked
    decision = check_application(facts(excluded_skus=("CAKE",), merchant_fault=True))
    # then it is allowed
    assert decision.ok is True


def test_rule6_does_not_apply_when_goods_do_not_go_back():
    # given the same SKU, a no-fault reason, and a refund-only application
    # when checked
    decision = check_application(facts(case_type="refund_only", excluded_skus=("CAKE",)))
    # then it is allowed (nothing is returned)
    assert decision.ok is True


# ---- rule 7: the amount ------------------------------------------------------------------------------


def test_rule7_amount_above_refundable_is_refused():
    # given 1990 fen refundable
    # when 1991 fen is asked for
    decision = check_application(facts(refund_fen=1991, refundable_fen=1990))
    # then it is amount_exceeds_refundable, naming both amounts
    assert (decision.ok, decision.code) == (False, "amount_exceeds_refundable")
    assert decision.params == {"requested_fen": 1991, "refundable_fen": 1990}


def test_rule7_goods_types_ask_no_amount():
    # given an exchange, which pays no money back
    # when checked with no amount
    decision = check_application(facts(case_type="exchange", refund_fen=0, refundable_fen=1990))
    # then it is allowed
    assert decision.ok is True


@pytest.mark.parametrize(
    ("refund_fen", "refundable_fen", "ok"),
    [
        (0, 1990, False),
        (-1, 1990, False),
        (-1990, 1990, False),
        (1990, 1990, True),
        (1991, 1990, False),
        (1, 1990, True),
        (1, 0, False),
    ],
)
@pytest.mark.parametrize("case_type", ["refund_only", "return_refund"])
def test_check_refund_amount_must_be_positive_and_at_most_refundable(
    case_type, refund_fen, refundable_fen, ok
):
    # given an amount asked for and what can still be refunded
    # when checked
    decision = check_refund_amount(case_type, refund_fen, refundable_fen)
    # then it passes only when positive and not above the refundable amount
    assert decision.ok is ok
    if not ok:
        assert decision.code == "amount_exceeds_refundable"
        assert decision.params == {"requested_fen": refund_fen, "refundable_fen": refundable_fen}


@pytest.mark.parametrize("case_type", ["exchange", "reship"])
def test_check_refund_amount_ignores_goods_types(case_type):
    # given a type that pays no money back
    # when any amount is checked
    # then it passes
    assert check_refund_amount(case_type, 0, 0).ok is True


# ---- rule 8: suspected abuse ----------------------------------------------------------------------------


def test_rule8_repeated_applications_for_the_same_sku_close_the_entry():
    # given three recent cases by this buyer for the same SKU
    # when checked
    decision = check_application(facts(recent_cases_same_sku=3))
    # then it is entry_closed for suspected abuse
    assert (decision.ok, decision.code) == (False, "entry_closed")
    assert decision.params == {"entry_closed_reason": "suspected_abuse"}


def test_rule8_fewer_cases_than_the_limit_are_allowed():
    # given two recent cases for the same SKU
    # when checked
    decision = check_application(facts(recent_cases_same_sku=2))
    # then it is allowed
    assert decision.ok is True


# ---- order: the first failing rule is the answer ------------------------------------------------------

# Facts breaking every rule at once; each step below repairs the earliest still-broken rule.
ALL_BROKEN = facts(
    buyer_owns_order=False,
    entry_closed_reason="platform",
    open_case_id=7,
    applications_used=3,
    at=sh(2026, 12, 1),
    case_type="return_refund",
    excluded_skus=("CAKE",),
    merchant_fault=False,
    refund_fen=5000,
    refundable_fen=1990,
    recent_cases_same_sku=3,
)
REPAIRS = [
    ("not_found", {}),
    ("entry_closed", {"buyer_owns_order": True}),
    ("case_already_open", {"entry_closed_reason": ""}),
    ("max_applications_reached", {"open_case_id": None}),
    ("window_expired", {"applications_used": 0}),
    ("no_reason_return_excluded", {"at": sh(2026, 11, 18, 10)}),
    ("amount_exceeds_refundable", {"excluded_skus": ()}),
    ("entry_closed", {"refund_fen": 1990}),
    ("", {"recent_cases_same_sku": 0}),
]


def test_first_failing_rule_wins_when_several_fail():
    # given facts that break every rule
    current = ALL_BROKEN
    for expected_code, repair in REPAIRS:
        # when the earliest broken rule is repaired, one at a time
        current = replace(current, **repair)
        decision = check_application(current)
        # then the answer is always the earliest rule still broken
        assert decision.code == expected_code, repair
        assert decision.ok is (expected_code == "")


def test_abuse_is_not_reported_when_an_earlier_rule_refuses():
    # given suspected abuse and an expired window
    # when checked
    decision = check_application(facts(recent_cases_same_sku=5, at=sh(2026, 12, 1)))
    # then the window is the answer: the entry is not closed for abuse on an application refused anyway
    assert decision.code == "window_expired"
