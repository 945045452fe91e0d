"""A time in a shop's view is written in the shop's time zone exactly as ``isoformat`` writes it, whatever the
zone, the season and the fraction of a second; and an unset time stays unset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from aftersales.cases.queries import local

ZONES = ["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Africa/Monrovia"]
MOMENTS = [
    datetime(2026, 11, 27, 2, 53, 11, 780254, tzinfo=UTC),  # a fraction of a second
    datetime(2026, 11, 27, 2, 53, 11, tzinfo=UTC),  # none
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # New York's clocks go forward
    datetime(2026, 11, 1, 5, 59, 59, 999999, tzinfo=UTC),  # and back
    datetime(1971, 6, 1, 12, 0, tzinfo=UTC),  # Monrovia still 44 min 30 s behind UTC
    datetime(1900, 1, 1, tzinfo=UTC),  # Shanghai's local mean time, +08:05:43
]


@pytest.mark.parametrize("zone", ZONES)
def test_a_time_is_written_in_the_shops_zone_as_isoformat_writes_it(zone: str) -> None:
    for at in MOMENTS:
        assert local(at, zone) == at.astimezone(ZoneInfo(zone)).isoformat(), (zone, at)


def test_local_mean_time_keeps_its_seconds() -> None:
    # an offset in whole minutes would name another moment
    assert local(datetime(1900, 1, 1, tzinfo=UTC), "Asia/Shanghai") == "1900-01-01T08:05:43+08:05:43"


def test_an_unset_time_stays_unset() -> None:
    assert local(None, "Asia/Shanghai") is None
