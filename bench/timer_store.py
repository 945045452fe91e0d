"""One store of B4 (``bench.timers``) and its worker: ``python -m bench.timer_store PENDING DUE WARM`` loads a
shop of PENDING pending timers, DUE + WARM of them due, on the database of AFTERSALES_DATABASE_URL, fires WARM
in an unmeasured pass that warms its crew, and answers a JSON line; then for each line N on its input it runs a
pass of N timers and answers its seconds, and once its input ends, how far its own memory grew meanwhile."""

from __future__ import annotations

import json
import sys
import threading
from functools import partial
from typing import Any

import psutil

from bench.common import setup_django, timed


def _say(answer: dict[str, Any]) -> None:
    print(json.dumps(answer), flush=True)


def _anonymous_bytes() -> int:
    """This process's resident memory of its own (``RssAnon``: heap and stacks), without the pages of files it
    maps, which belong to the system's page cache (SQLite reads its file through a memory map)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return int(psutil.Process().memory_info().rss)  # no such line: all of it


class _Peak:
    """The highest of this process's own memory from now until ``stop``, sampled every 0.1 s."""

    def __init__(self) -> None:
        self.start = self.peak = _anonymous_bytes()
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._done.wait(0.1):
            self.peak = max(self.peak, _anonymous_bytes())

    def stop_mb(self) -> float:
        """How far it rose above where it stood at the start, in MB."""
        self._done.set()
        self._watcher.join()
        return (max(self.peak, _anonymous_bytes()) - self.start) / 2**20


def main() -> None:
    pending, due, warm = (int(a) for a in sys.argv[1:4])
    setup_django()
    from django.conf import settings

    from aftersales.core import clock
    from aftersales.timers.crew import Crew
    from aftersales.timers.worker import run_due
    from bench.data import T0, bulk_history, make_shop, settle_after_load

    bulk_history(make_shop("timers"), pending, open_share=1.0, due=due + warm, chats=True)
    settle_after_load()
    clock.freeze(T0)
    # The worker's threads for this database, as ``aftersales worker`` makes them.
    with Crew(settings.WORKER_THREADS) as crew:

        def one_pass(n: int) -> None:
            report = run_due(T0, limit=n, crew=crew)
            assert report["fired"] == n, report

        one_pass(warm)
        _say({"ready": True})
        memory = _Peak()
        for line in sys.stdin:
            n = int(line)
            _say({"seconds": timed(partial(one_pass, n))})
        _say({"grown_mb": round(memory.stop_mb(), 3)})


if __name__ == "__main__":
    main()
