"""The one place that reads the wall clock. Tests freeze or move it; everything else calls ``now()``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("the clock only accepts timezone-aware datetimes")
    return at.astimezone(UTC)


def freeze(at: datetime) -> None:
    global _frozen
    with _lock:
        _frozen = _aware(at)


def advance(delta: timedelta) -> datetime:
    global _frozen
    with _lock:
        _frozen = (_frozen or datetime.now(UTC)) + delta
        return _frozen


def unfreeze() -> None:
    global _frozen
    with _lock:
        _frozen = None


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    previous = _frozen
    freeze(at)
    try:
        yield
    finally:
        if previous is None:
            unfreeze()
        else:
            freeze(previous)
