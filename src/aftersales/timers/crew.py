"""The worker's threads. A pass gives each thread a job and waits for them all; between passes the threads
wait, and each keeps its own database connection. On PostgreSQL a new connection is a new server process
whose caches start cold and whose statements are prepared anew (after ``PREPARE_AFTER`` runs each): the
worker that polls every few seconds would otherwise pay that on every pass. A connection that broke or
outlived ``CONN_MAX_AGE`` since the last pass is replaced when the next pass starts."""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from django.db import close_old_connections, connection

Job = Callable[[Counter[str]], None]
# A job for the thread and where its count goes; None tells the thread to close its connection and end.
_Order = tuple[Job, "Future[Counter[str]]"] | None


class Crew:
    """``size`` threads; with one, jobs run in the caller's thread and nothing is kept."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._inboxes: list[queue.SimpleQueue[_Order]] = []
        self._threads: list[threading.Thread] = []
        if self.size > 1:
            for k in range(self.size):
                inbox: queue.SimpleQueue[_Order] = queue.SimpleQueue()
                thread = threading.Thread(target=_serve, args=(inbox,), name=f"timers-{k}", daemon=True)
                thread.start()
                self._inboxes.append(inbox)
                self._threads.append(thread)

    def side_by_side(self, jobs: Sequence[Job]) -> Counter[str]:
        """Run ``jobs`` (at most ``size``; each counts into its own Counter), one per thread, and the sum of
        their counts once all have ended. The first error of a job is raised after the others ended."""
        if len(jobs) > self.size:
            raise ValueError(f"{len(jobs)} jobs for a crew of {self.size}")
        total: Counter[str] = Counter()
        if not self._threads:
            for job in jobs:
                job(total)
            return total
        futures: list[Future[Counter[str]]] = []
        for inbox, job in zip(self._inboxes, jobs, strict=False):
            future: Future[Counter[str]] = Future()
            inbox.put((job, future))
            futures.append(future)
        errors = [f.exception() for f in futures]
        for future, error in zip(futures, errors, strict=True):
            if error is None:
                total.update(future.result())
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
        return total

    def close(self) -> None:
        """End the threads, each closing its connection first."""
        for inbox in self._inboxes:
            inbox.put(None)
        for thread in self._threads:
            thread.join()
        self._inboxes, self._threads = [], []

    def __enter__(self) -> Crew:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(inbox: queue.SimpleQueue[_Order]) -> None:
    while (order := inbox.get()) is not None:
        job, future = order
        try:
            _ready_connection()
            counted: Counter[str] = Counter()
            job(counted)
        except BaseException as exc:  # handed to the pass, which raises it
            future.set_exception(exc)
        else:
            future.set_result(counted)
    connection.close()


def _ready_connection() -> None:
    """This thread's connection as a request would find it: closed when it outlived ``CONN_MAX_AGE`` or
    failed last time, and closed when it no longer answers (the server restarted since the last pass)."""
    close_old_connections()
    if connection.connection is not None and not connection.is_usable():
        connection.close()
