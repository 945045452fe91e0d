"""B2: a case action (the merchant's agree on refund-only cases) over HTTP through the production server (gunicorn, one process per core), with
16 concurrent clients, against a do-nothing authenticated endpoint (``GET /api/v1/me``) on the same server;
and the first page of ``GET /after-sales``. Also B6: the server's peak memory (RSS of all its processes).

The three take turns of a second each, round after round, after one unmeasured turn each to warm the server up:
on a shared machine whatever else runs then slows all three alike, instead of whichever ran at that moment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import psutil

from aftersales.cases.models import AfterSale
from aftersales.core import clock
from bench.common import emit, engine
from bench.data import T0, bulk_history, make_shop

CLIENTS = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TURN_SECONDS = 1.0

Request = Callable[[httpx.Client, int, int], None]


def _turn(
    clients: list[httpx.Client], seconds: float, request: Request, sent: list[int]
) -> tuple[int, float]:
    """Every client sends ``request`` back to back for ``seconds``; the requests completed and the time until
    the last answer. ``sent[k]`` counts client k's requests of this kind over all turns."""
    stop = time.perf_counter() + seconds
    done = [0] * len(clients)
    failed: list[BaseException] = []

    def client(k: int) -> None:
        try:
            while time.perf_counter() < stop:
                request(clients[k], k, sent[k])
                sent[k] += 1
                done[k] += 1
        except Exception as exc:  # reported once every client has stopped
            failed.append(exc)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(len(clients))]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise failed[0]
    return sum(done), time.perf_counter() - start


def _rates(base: str, seconds: float, requests: dict[str, Request]) -> dict[str, float]:
    """Requests per second of each kind, ``CLIENTS`` at a time, measured in turns that alternate the kinds."""
    clients = [httpx.Client(base_url=base, timeout=30) for _ in range(CLIENTS)]
    sent = {name: [0] * CLIENTS for name in requests}
    done = dict.fromkeys(requests, 0)
    spent = dict.fromkeys(requests, 0.0)
    try:
        for name, request in requests.items():
            _turn(clients, TURN_SECONDS / 4, request, sent[name])  # warm-up, not counted
        for _ in range(max(1, round(seconds / TURN_SECONDS))):
            for name, request in requests.items():
                n, elapsed = _turn(clients, TURN_SECONDS, request, sent[name])
                done[name] += n
                spent[name] += elapsed
    finally:
        for http in clients:
            http.close()
    return {name: done[name] / spent[name] for name in requests}


def run(*, quick: bool) -> None:
    seconds = 3.0 if quick else 10.0
    clock.freeze(T0)
    shop = make_shop("http")
    open_cases = 16_000 if quick else 40_000
    # Cases waiting on the merchant, whose deadlines are in the future of the server's real clock.
    bulk_history(shop, open_cases, open_share=1.0, now=datetime.now(UTC))
    clock.unfreeze()
    ids = list(
        AfterSale.objects.filter(shop_id=shop.id, state="pending_merchant")
        .order_by("id")
        .values_list("id", flat=True)
    )
    per_client = len(ids) // CLIENTS
    port = _free_port()
    env = dict(os.environ, AFTERSALES_WORKER_POLL_SECONDS="3600")
    server = subprocess.Popen([sys.executable, "-m", "aftersales.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        peak = [0]

        def watch() -> None:
            proc = psutil.Process(server.pid)
            while server.poll() is None:
                try:
                    # PSS: pages the forked web processes share are counted once, not once per process.
                    rss = sum(p.memory_full_info().pss for p in [proc, *proc.children(recursive=True)]
                              if "worker" not in " ".join(p.cmdline()))  # fmt: skip
                except psutil.Error:
                    break
                peak[0] = max(peak[0], rss)
                time.sleep(0.2)

        threading.Thread(target=watch, daemon=True).start()
        merchant = {"Authorization": f"Bearer {shop.merchant_token}"}

        def agree(h: httpx.Client, k: int, i: int) -> None:
            if i >= per_client:
                raise RuntimeError("ran out of open cases; raise open_cases")
            _ok(h.post(f"/after-sales/{ids[k * per_client + i]}/agree", headers=merchant, json={}))

        rates = _rates(
            base,
            seconds,
            {
                "ceiling": lambda h, k, i: _ok(h.get("/me", headers=merchant)),
                "actions": agree,
                "queue": lambda h, k, i: _ok(
                    h.get("/after-sales", headers=merchant, params={"state": "pending_merchant"})
                ),
            },
        )
        ceiling, actions, queue = rates["ceiling"], rates["actions"], rates["queue"]
        emit(f"http_actions_{engine()}", CLIENTS, actions, ceiling, "requests/s (target ratio ≥ 0.3)")
        emit(f"http_queue_{engine()}", CLIENTS, queue, ceiling, "requests/s (target ratio ≥ 0.5)")
        emit(
            f"memory_server_{engine()}",
            CLIENTS,
            peak[0] / 2**20,
            200.0,
            "MB peak PSS of the web processes (target ≤ 200)",
        )
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)


def _ok(response: httpx.Response, status: int = 200) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
