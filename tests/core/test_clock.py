"""The injectable clock: aware UTC always, frozen and moved by tests, restored afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftersales.core import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    clock.unfreeze()
    yield
    clock.unfreeze()


def test_now_is_aware_utc_when_not_frozen():
    # given a clock nobody froze
    before = datetime.now(UTC)
    # when read
    now = clock.now()
    # then it is the wall clock, timezone-aware, in UTC
    after = datetime.now(UTC)
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_freeze_holds_the_time_and_converts_it_to_utc():
    # given a time in Shanghai
    at = datetime(2026, 11, 15, 10, 0, tzinfo=SHANGHAI)
    # when the clock is frozen there
    clock.freeze(at)
    # then it reads the same instant, in UTC, every time
    first, second = clock.now(), clock.now()
    assert first == second == datetime(2026, 11, 15, 2, 0, tzinfo=UTC)
    assert first.tzinfo == UTC


def test_freeze_refuses_a_naive_datetime():
    # given a datetime without a time zone
    naive = datetime(2026, 11, 15, 10, 0)  # noqa: DTZ001
    # when the clock is frozen there
    # then it is refused and the clock is unchanged
    with pytest.raises(ValueError):
        clock.freeze(naive)
    assert clock.now().tzinfo is not None


def test_advance_moves_a_frozen_clock_and_returns_the_new_time():
    # given a frozen clock
    clock.freeze(datetime(2026, 11, 15, 2, 0, tzinfo=UTC))
    # when it is moved forward twice
    first = clock.advance(timedelta(hours=48))
    second = clock.advance(timedelta(minutes=1))
    # then each move adds up and is what now() reads
    assert first == datetime(2026, 11, 17, 2, 0, tzinfo=UTC)
    assert second == datetime(2026, 11, 17, 2, 1, tzinfo=UTC)
    assert clock.now() == second


def test_advance_freezes_a_running_clock_from_the_wall_time():
    # given a clock nobody froze
    before = datetime.now(UTC)
    # when it is moved forward
    moved = clock.advance(timedelta(days=1))
    # then it is frozen a day after the wall time
    assert before + timedelta(days=1) <= moved <= datetime.now(UTC) + timedelta(days=1)
    assert clock.now() == moved


def test_unfreeze_returns_to_the_wall_clock():
    # given a clock frozen in the past
    clock.freeze(datetime(2020, 1, 1, tzinfo=UTC))
    # when unfrozen
    clock.unfreeze()
    # then it reads the wall clock again
    assert clock.now() > datetime(2025, 1, 1, tzinfo=UTC)


def test_frozen_context_unfreezes_when_it_was_not_frozen():
    # given a running clock
    at = datetime(2026, 10, 1, tzinfo=UTC)
    # when a block runs with the clock frozen
    with clock.frozen(at):
        inside = clock.now()
    # then the block saw the frozen time and the clock runs again afterwards
    assert inside == at
    assert clock.now() > datetime(2025, 1, 1, tzinfo=UTC)
    assert clock.now() != at


def test_frozen_context_restores_the_previous_frozen_time():
    # given a clock frozen at one time
    outer = datetime(2026, 1, 1, tzinfo=UTC)
    clock.freeze(outer)
    # when a block freezes it elsewhere
    with clock.frozen(datetime(2026, 6, 1, tzinfo=UTC)):
        inside = clock.now()
    # then the earlier frozen time is back afterwards
    assert inside == datetime(2026, 6, 1, tzinfo=UTC)
    assert clock.now() == outer


def test_frozen_context_restores_even_when_the_block_raises():
    # given a clock frozen at one time
    outer = datetime(2026, 1, 1, tzinfo=UTC)
    clock.freeze(outer)
    # when a block under another frozen time fails
    with pytest.raises(RuntimeError), clock.frozen(datetime(2026, 6, 1, tzinfo=UTC)):
        raise RuntimeError("boom")
    # then the earlier frozen time is back
    assert clock.now() == outer
