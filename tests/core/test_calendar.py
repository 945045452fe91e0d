"""Business days on the mainland-China calendar (domain.md section 6), with the shop's own additions.

The expected dates are worked out by hand from the State Council's 2026 schedule (国办发明电〔2025〕7号):
- 春节 2026: off 2月15日 (Sun) – 2月23日 (Mon); make-up working days 2月14日 (Sat) and 2月28日 (Sat).
- 国庆节、中秋节 2026: off 10月1日 (Thu) – 10月7日 (Wed); make-up working days 9月20日 (Sun) and 10月10日 (Sat).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.core import calendar as calendar_module
from aftersales.core.calendar import BusinessCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Forget which years already warned, so a test sees its own warning."""
    monkeypatch.setattr(calendar_module, "_warned", set())
    yield


# ---- business days -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 5), False),  # Monday inside the holiday
        (date(2026, 10, 7), False),  # last day of the holiday (a Wednesday)
        (date(2026, 10, 8), True),  # back to work
        (date(2026, 10, 10), True),  # Saturday, make-up working day
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 9, 20), True),  # Sunday, make-up working day
        (date(2026, 2, 14), True),  # Saturday, make-up working day before Spring Festival
        (date(2026, 2, 15), False),  # Sunday, first day of Spring Festival
        (date(2026, 2, 23), False),  # Monday, last day of Spring Festival
        (date(2026, 2, 24), True),  # back to work
        (date(2026, 2, 28), True),  # Saturday, make-up working day after Spring Festival
        (date(2026, 11, 18), True),  # ordinary Wednesday
        (date(2026, 11, 21), False),  # ordinary Saturday
    ],
)
def test_is_business_day_follows_the_2026_official_schedule(day, working):
    # given the default calendar
    calendar = BusinessCalendar()
    # when a 2026 day is looked up
    # then weekends, statutory holidays and the make-up working days are as published
    assert calendar.is_business_day(day) is working


def test_add_business_days_across_national_day_counts_the_make_up_saturday():
    # given a refund started on Wednesday 2026-09-30, the eve of the holiday
    calendar = BusinessCalendar()
    # when its third business day is counted
    due = calendar.add_business_days(date(2026, 9, 30), 3)
    # then Oct 1-7 are skipped and Thu 8, Fri 9 and the make-up Sat 10 count: Saturday 2026-10-10
    assert due == date(2026, 10, 10)


def test_due_by_across_national_day_is_the_end_of_the_make_up_saturday():
    # given a refund started on 2026-09-30 at 15:00 Shanghai
    calendar = BusinessCalendar()
    # when it is due in 3 business days
    due = calendar.due_by(sh(2026, 9, 30, 15), 3)
    # then it is due at 24:00 of Saturday 2026-10-10, Shanghai time, given in UTC
    assert due == sh(2026, 10, 11, 0)
    assert due == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)
    assert due.tzinfo == ZoneInfo("UTC")


def test_due_by_across_spring_festival_counts_the_make_up_days():
    # given a refund started on Friday 2026-02-13
    calendar = BusinessCalendar()
    # when it is due in 3 business days
    due = calendar.due_by(sh(2026, 2, 13, 11), 3)
    # then the make-up Sat 14 counts, Feb 15-23 are skipped, Tue 24 and Wed 25 count: 24:00 of 2026-02-25
    assert due == sh(2026, 2, 26, 0)


def test_due_by_started_inside_spring_festival_counts_from_the_first_working_day():
    # given a refund started on the Spring Festival holiday, 2026-02-17
    calendar = BusinessCalendar()
    # when it is due in 3 business days
    due = calendar.due_by(sh(2026, 2, 17, 9), 3)
    # then Tue 24, Wed 25, Thu 26 count: 24:00 of 2026-02-26
    assert due == sh(2026, 2, 27, 0)


def test_due_by_on_ordinary_days_skips_the_weekend():
    # given a refund started on Wednesday 2026-11-18
    calendar = BusinessCalendar()
    # when it is due in 3 business days
    due = calendar.due_by(sh(2026, 11, 18, 10), 3)
    # then Thu 19, Fri 20 and Mon 23 count: 24:00 of 2026-11-23
    assert due == sh(2026, 11, 24, 0)


def test_due_by_counts_from_the_shanghai_day_not_the_utc_day():
    # given 01:00 on Friday 2026-11-20 in Shanghai, which is still Thursday in UTC
    at = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    calendar = BusinessCalendar()
    # when due in 3 business days
    due = calendar.due_by(at, 3)
    # then it counts from Friday: Mon 23, Tue 24, Wed 25 → 24:00 of 2026-11-25 Shanghai = 16:00 UTC
    assert due == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_due_by_is_the_end_of_the_day_in_the_calendar_time_zone():
    # given a calendar for a shop in another time zone
    calendar = BusinessCalendar(tz="Asia/Tokyo")
    # when a refund started Wednesday 2026-11-18 10:00 Tokyo is due in 1 business day
    due = calendar.due_by(datetime(2026, 11, 18, 10, tzinfo=ZoneInfo("Asia/Tokyo")), 1)
    # then it is due at 24:00 Tokyo of Thursday 2026-11-19, i.e. 15:00 UTC
    assert due == datetime(2026, 11, 19, 15, 0, tzinfo=UTC)


def test_add_business_days_of_zero_is_the_start_day():
    # given the default calendar
    calendar = BusinessCalendar()
    # when zero business days are added, even to a holiday
    # then the start day comes back
    assert calendar.add_business_days(date(2026, 10, 1), 0) == date(2026, 10, 1)


def test_add_business_days_refuses_negative_days():
    # given the default calendar
    calendar = BusinessCalendar()
    # when a negative number of days is asked for
    # then it is refused
    with pytest.raises(ValueError):
        calendar.add_business_days(date(2026, 11, 18), -1)


# ---- a shop's own holidays and working days ----------------------------------------------------------------


def test_shop_extra_holiday_is_skipped():
    # given a shop closed on Wednesday 2026-11-18 (its annual outing)
    calendar = BusinessCalendar(extra_holidays=[date(2026, 11, 18)])
    # when a refund started Tuesday 2026-11-17 is due in 3 business days
    due = calendar.due_by(sh(2026, 11, 17, 10), 3)
    # then the 18th does not count: Thu 19, Fri 20, Mon 23 → 24:00 of 2026-11-23
    assert due == sh(2026, 11, 24, 0)
    assert calendar.is_business_day(date(2026, 11, 18)) is False


def test_shop_extra_working_day_counts():
    # given a shop that works on Saturday 2026-11-21
    calendar = BusinessCalendar(extra_working_days=[date(2026, 11, 21)])
    # when a refund started Thursday 2026-11-19 is due in 3 business days
    due = calendar.due_by(sh(2026, 11, 19, 10), 3)
    # then Fri 20, Sat 21, Mon 23 count → 24:00 of 2026-11-23 (a day earlier than without it)
    assert due == sh(2026, 11, 24, 0)
    assert BusinessCalendar().due_by(sh(2026, 11, 19, 10), 3) == sh(2026, 11, 25, 0)


def test_shop_extra_working_day_overrides_a_statutory_holiday():
    # given a shop that works on 2026-10-05, inside National Day
    calendar = BusinessCalendar(extra_working_days=[date(2026, 10, 5)])
    # when a refund started 2026-09-30 is due in 3 business days
    due = calendar.due_by(sh(2026, 9, 30, 15), 3)
    # then Oct 5, 8 and 9 count → 24:00 of 2026-10-09
    assert due == sh(2026, 10, 10, 0)


def test_shop_extra_holiday_can_cancel_a_make_up_working_day():
    # given a shop that keeps the make-up Saturday 2026-10-10 as a day off
    calendar = BusinessCalendar(extra_holidays=[date(2026, 10, 10)])
    # when a refund started 2026-09-30 is due in 3 business days
    due = calendar.due_by(sh(2026, 9, 30, 15), 3)
    # then Thu 8, Fri 9 and Mon 12 count → 24:00 of 2026-10-12
    assert due == sh(2026, 10, 13, 0)


# ---- years without a published schedule ------------------------------------------------------------------


def test_official_schedule_is_known_for_2026():
    # given 2026, whose schedule was published
    # then the calendar does not call it an estimate
    assert BusinessCalendar().estimated(date(2026, 6, 1)) is False


def test_a_known_year_logs_no_warning(caplog, fresh_warnings):
    # given the default calendar
    calendar = BusinessCalendar()
    # when a 2026 due date is computed
    with caplog.at_level(logging.WARNING, logger="aftersales.calendar"):
        calendar.due_by(sh(2026, 11, 18, 10), 3)
    # then nothing is logged
    assert not [r for r in caplog.records if r.name == "aftersales.calendar"]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Wednesday 2027-03-10: Thu 11, Fri 12, Mon 15 → 24:00 of 2027-03-15
        (sh(2027, 3, 10, 10), sh(2027, 3, 16, 0)),
        # Wednesday 2028-03-08: Thu 9, Fri 10, Mon 13 → 24:00 of 2028-03-13
        (sh(2028, 3, 8, 10), sh(2028, 3, 14, 0)),
    ],
)
def test_due_by_in_an_unpublished_year_estimates_and_warns(caplog, fresh_warnings, at, expected):
    # given a year whose official schedule is not published yet
    calendar = BusinessCalendar()
    assert calendar.estimated(at.date()) is True
    # when a due date is computed
    with caplog.at_level(logging.WARNING, logger="aftersales.calendar"):
        due = calendar.due_by(at, 3)
    # then a date still comes back, and a warning names the year
    assert due == expected
    warnings = [r for r in caplog.records if r.name == "aftersales.calendar" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(at.year) in warnings[0].getMessage()


def test_estimated_year_still_skips_its_statutory_holidays(fresh_warnings):
    # given 2027, estimated: National Day falls on Friday 2027-10-01
    calendar = BusinessCalendar()
    # when a refund started Thursday 2027-09-30 is due in 1 business day
    due = calendar.due_by(sh(2027, 9, 30, 10), 1)
    # then the holiday and the weekend after it are not business days
    assert due > sh(2027, 10, 4, 0)
    assert calendar.is_business_day(date(2027, 10, 1)) is False


def test_unpublished_year_warns_once(caplog, fresh_warnings):
    # given a calendar already used once for 2028
    calendar = BusinessCalendar()
    calendar.due_by(sh(2028, 3, 8, 10), 3)
    caplog.clear()
    # when used again for the same year
    with caplog.at_level(logging.WARNING, logger="aftersales.calendar"):
        calendar.due_by(sh(2028, 4, 12, 10), 3)
    # then it does not warn a second time
    assert not [r for r in caplog.records if r.name == "aftersales.calendar"]


def test_shop_working_day_in_an_unpublished_year_needs_no_estimate(caplog, fresh_warnings):
    # given a shop that declared 2028-10-02 a working day
    calendar = BusinessCalendar(extra_working_days=[date(2028, 10, 2)])
    # when that day is looked up
    with caplog.at_level(logging.WARNING, logger="aftersales.calendar"):
        working = calendar.is_business_day(date(2028, 10, 2))
    # then the shop's word is taken, without an estimate
    assert working is True
    assert not [r for r in caplog.records if r.name == "aftersales.calendar"]


def test_due_by_result_is_utc_and_after_the_start(fresh_warnings):
    # given any start time
    calendar = BusinessCalendar()
    start = sh(2026, 12, 31, 23, 30)
    # when due in 3 business days
    due = calendar.due_by(start, 3)
    # then the result is aware UTC, later than the start, and exactly on a Shanghai midnight
    assert due.utcoffset() == timedelta(0)
    assert due > start
    local = due.astimezone(SHANGHAI)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    # Jan 1 is a holiday (2027 estimate); Mon 4, Tue 5 and Wed 6 count → 24:00 of 2027-01-06
    assert local == sh(2027, 1, 7, 0)
