"""B4: a pass of the timer worker over 1 000 due timers among a small and a large number of pending ones. The
small store is the ceiling: the cost must follow what is due, not what is stored. Also reports timers/s, and
(B6) how much the worker's own memory grows during each pass: it must not grow with what is stored.

The passes run as ``aftersales worker`` runs them, on one crew of threads whose connections are kept from one
pass to the next, after an unmeasured pass that warms them. Each store has three times 1 000 due timers and
gets three passes of 1 000 (the earliest due first): the line gives the median pass of each store, and the
rate of every pass of the large one, since on a shared machine one pass alone moves with whatever else runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from statistics import median

import psutil
from django.conf import settings

from aftersales.core import clock
from aftersales.timers.crew import Crew
from aftersales.timers.worker import run_due
from bench.common import emit, engine, timed
from bench.data import T0, bulk_history, make_shop, settle_after_load

DUE = 1_000
PASSES = 3
WARM_UP = (2_000, 200)  # pending, due


def _anonymous_bytes() -> int:
    """This process's resident memory of its own (``RssAnon``: heap and stacks), without the pages of files it
    maps, which belong to the system's page cache (SQLite reads its file through a memory map)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return int(psutil.Process().memory_info().rss)  # no such line: all of it


def _growth_mb(fn: Callable[[], object]) -> float:
    """How far this process's own resident memory rose above where it stood while ``fn`` ran, in MB."""
    start = _anonymous_bytes()
    peak = [start]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _anonymous_bytes())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        fn()
    finally:
        done.set()
        watcher.join()
    return (max(peak[0], _anonymous_bytes()) - start) / 2**20


def _fire(
    code: str, pending: int, crew: Crew, *, passes: int = PASSES, due: int = DUE
) -> tuple[list[float], float]:
    """``passes`` passes of ``due`` timers each over a new shop of ``pending`` pending timers: the seconds of
    each, and how far the worker's memory grew over them."""
    clock.unfreeze()
    shop = make_shop(code)
    bulk_history(shop, pending, open_share=1.0, due=due * passes, chats=True)
    settle_after_load()
    clock.freeze(T0)
    seconds: list[float] = []

    def one_pass() -> None:
        report = run_due(T0, limit=due, crew=crew)
        assert report["fired"] == due, report

    def go() -> None:
        seconds.extend(timed(one_pass) for _ in range(passes))

    grown = _growth_mb(go)
    return seconds, grown


def run(*, quick: bool) -> None:
    small, large = (10_000, 50_000) if quick else (10_000, 1_000_000)
    # The worker's threads for this database, as ``aftersales worker`` makes them.
    with Crew(settings.WORKER_THREADS) as crew:
        _fire("timers-warm-up", WARM_UP[0], crew, passes=1, due=WARM_UP[1])
        base, base_mb = _fire("timers-small", small, crew)
        big, big_mb = _fire("timers-large", large, crew)
    base_s, big_s = median(base), median(big)
    emit(f"timers_{engine()}", large, big_s, base_s, "s for 1000 due, median of 3 passes (ratio ≤ 1.5)",
         small_n=small, fired_per_s=round(DUE / big_s, 1), fired_per_s_passes=[round(DUE / s, 1) for s in big])  # fmt: skip
    emit(f"memory_worker_{engine()}", large, big_mb, base_mb, "MB the worker grew during the passes (flat: about the same)",
         small_n=small)  # fmt: skip
