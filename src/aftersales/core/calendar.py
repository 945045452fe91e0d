"""Business days on the mainland-China calendar: weekends, statutory holidays and the make-up
working days (调休/补班) from the ``holidays`` package, plus a shop's own additions.

For a year whose official schedule is not yet published (no make-up days known), the package's
rule-based estimate is used and a warning is logged once per year."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

log = logging.getLogger("aftersales.calendar")


@lru_cache(maxsize=64)
def _china(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


@lru_cache(maxsize=64)
def official_schedule_known(year: int) -> bool:
    """True when the State Council's schedule for ``year`` is in the package: it then lists make-up days."""
    return any(d.year == year for d in _china(year).weekend_workdays) or any(
        d.year == year for d in _china(year + 1).weekend_workdays if d.month == 1
    )


@lru_cache(maxsize=4096)
def _official_working_day(day: date) -> bool:
    """Whether the official calendar works on ``day``; asked for the same few weeks by every deadline."""
    return bool(_china(day.year).is_working_day(day))


_warned: set[int] = set()


class BusinessCalendar:
    def __init__(
        self,
        *,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        tz: str = "Asia/Shanghai",
    ) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_working_days = frozenset(extra_working_days)
        self.tz = ZoneInfo(tz)

    def estimated(self, day: date) -> bool:
        return not official_schedule_known(day.year)

    def is_business_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        if self.estimated(day) and day.year not in _warned:
            _warned.add(day.year)
            log.warning(
                "the official holiday schedule for %s is not published yet; business days are estimated",
                day.year,
            )
        return _official_working_day(day)

    def add_business_days(self, start: date, days: int) -> date:
        """The ``days``-th business day after ``start`` (``start`` itself never counts)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current, counted = start, 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_business_day(current):
                counted += 1
        return current

    def due_by(self, at: datetime, days: int) -> datetime:
        """End (24:00, local) of the ``days``-th business day after the local day of ``at``, in UTC."""
        local_day = at.astimezone(self.tz).date()
        last = self.add_business_days(local_day, days)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=self.tz).astimezone(ZoneInfo("UTC"))
