"""B3: the merchant's first queue page (state filter, sorted by deadline), p95, with a small and a large
history in the shop (5% open). The small history is the ceiling: the page must not slow as history grows.
The two shops' pages are timed in alternating turns, so whatever else the machine does at one moment slows
both alike."""

from __future__ import annotations

import time

from aftersales.cases import queries, views
from aftersales.core import clock
from bench.common import emit, engine, percentile
from bench.data import T0, bulk_history, make_shop, settle_after_load

REPEAT = 400
TURNS = 10


def _times_ms(shop_actor: object, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        # The page as the API serves it: the cases with their parts and risk flags, as views.
        views.queue_views(shop_actor, queries.QueueFilter(state="pending_merchant", limit=20), now=T0)  # type: ignore[arg-type]
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def run(*, quick: bool) -> None:
    small, large = (10_000, 100_000) if quick else (10_000, 1_000_000)
    clock.freeze(T0)
    shop_small = make_shop("queue-small")
    bulk_history(shop_small, small, open_share=0.05)
    shop_large = make_shop("queue-large")
    bulk_history(shop_large, large, open_share=0.05)
    settle_after_load()
    _times_ms(shop_small.merchant, 20)
    _times_ms(shop_large.merchant, 20)
    small_ms: list[float] = []
    large_ms: list[float] = []
    for _ in range(TURNS):
        small_ms += _times_ms(shop_small.merchant, REPEAT // TURNS)
        large_ms += _times_ms(shop_large.merchant, REPEAT // TURNS)
    base, big = percentile(small_ms, 95), percentile(large_ms, 95)
    emit(f"queue_{engine()}", large, big, base, "ms p95 (ratio ≤ 1.5 means flat)", small_n=small)
