"""B4: a pass of the timer worker over 1 000 due timers among a small and a large number of pending ones. The
small store is the ceiling: the cost must follow what is due, not what is stored. Also reports timers/s, and
(B6) how much the worker's own memory grows during the passes: it must not grow with what is stored.

Each store is a database of its own with a worker process of its own (``python -m bench.timer_store``), which
runs its passes as ``aftersales worker`` runs them: on one crew of threads whose connections are kept from one
pass to the next, after an unmeasured pass that warms them. The two workers take turns, a pass each, so
whatever else the machine does slows both alike. Each store has three times 1 000 due timers and gets three
passes of 1 000 (the earliest due first): the line gives the median pass of each store, and the rate of every
pass of the large one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack
from statistics import median
from typing import Any

from django.db import connection

from bench.common import emit, engine, fresh_database

DUE = 1_000
PASSES = 3
WARM_UP = 200  # due timers of the unmeasured pass


class _Store:
    """A worker process over a store of ``pending`` pending timers in the database of ``env``."""

    def __init__(self, env: dict[str, str], pending: int) -> None:
        args = [sys.executable, "-m", "bench.timer_store", str(pending), str(DUE * PASSES), str(WARM_UP)]
        self.process = subprocess.Popen(
            args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def ready(self) -> None:
        """Waits until it has loaded its store and warmed its crew with a first pass."""
        self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the store's worker ended with {self.process.wait()}")
        found: dict[str, Any] = json.loads(line)
        return found

    def one_pass(self) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{DUE}\n")
        self.process.stdin.flush()
        seconds: float = self._answer()["seconds"]
        return seconds

    def close(self) -> float:
        """Ends the worker; how far its memory grew during the passes, in MB."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        grown: float = self._answer()["grown_mb"]
        self.process.wait()
        return grown


def run(*, quick: bool) -> None:
    small, large = (10_000, 50_000) if quick else (10_000, 1_000_000)
    url = os.environ["AFTERSALES_DATABASE_URL"]
    connection.close()  # a template has no one connected to it, and SQLite's file is then whole
    with ExitStack() as stack:
        # The large store's database: a copy of this one, migrated and still empty.
        large_env = stack.enter_context(fresh_database(engine(), url, template=url))
        # The two load side by side; the passes start once both are ready.
        small_store = _Store(dict(os.environ), small)
        stack.callback(small_store.process.kill)
        large_store = _Store(large_env, large)
        stack.callback(large_store.process.kill)
        small_store.ready()
        large_store.ready()
        base: list[float] = []
        big: list[float] = []
        for turn in range(PASSES):
            # Turns alternate which store goes first.
            for store, seconds in ((small_store, base), (large_store, big))[:: 1 if turn % 2 == 0 else -1]:
                seconds.append(store.one_pass())
        base_mb, big_mb = small_store.close(), large_store.close()
    base_s, big_s = median(base), median(big)
    emit(f"timers_{engine()}", large, big_s, base_s, "s for 1000 due, median of 3 passes (ratio ≤ 1.5)",
         small_n=small, fired_per_s=round(DUE / big_s, 1), fired_per_s_passes=[round(DUE / s, 1) for s in big])  # fmt: skip
    emit(f"memory_worker_{engine()}", large, big_mb, base_mb, "MB the worker grew during the passes (flat: about the same)",
         small_n=small)  # fmt: skip
