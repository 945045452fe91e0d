"""The production server: gunicorn with one process per core (threads inside each on PostgreSQL), and the
timer worker beside it in its own process."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from typing import Any

from django.db import connections
from gunicorn.app.base import BaseApplication

from aftersales.core.planner import refresh_planner_statistics


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from aftersales.config.wsgi import application

        return application


def _banner(host: str, port: int, logins: list[dict[str, Any]]) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    lines = [
        f"aftersales is running: open http://{shown}:{port}/",
        f"  API docs: http://{shown}:{port}/api/v1/docs",
    ]
    for login in logins:
        lines.append(f"  log in as {login['role']}: {login['username']} / {login['password']}")
    for login in logins:
        if login.get("token"):
            lines.append(f"  API token ({login['role']}): {login['token']}")
    return "\n".join(lines)


def threads_per_process() -> int:
    """On SQLite one request at a time per process. SQLite lets one transaction write at a time and Python
    runs one thread at a time, so more threads in a process add no parallelism, only writers that find the
    database busy and back off by sleeping, and handoffs of the interpreter lock (B2 does better with one
    than with four). On PostgreSQL threads overlap their waits on the database server."""
    from django.db import connection

    return 1 if connection.vendor == "sqlite" else 4


def before_forking() -> None:
    """Ready this process to fork the web processes: SQLite's planner statistics gathered, and no connection
    left open. Connections are kept between requests, so a connection this process opened (to migrate, to
    fill the demo) would otherwise be inherited by every web process and shared among them."""
    refresh_planner_statistics()
    connections.close_all()


def freeze_loaded(arbiter: Any) -> None:
    """Once Django is loaded and before the web processes fork: what is loaded by then (modules, models,
    URL patterns, translations) lives as long as the process, so the collector's passes, which count a
    process's objects' references (and write to them, so a forked process copies their pages), leave it
    out from then on. A web process's passes then look at its requests' objects only."""
    gc.collect()
    gc.freeze()


def gunicorn_options(*, host: str, port: int, workers: int | None) -> dict[str, Any]:
    """How ``serve`` runs gunicorn: one web process per core unless told, Django loaded before forking."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers or (os.cpu_count() or 1),
        "worker_class": "gthread",
        "preload_app": True,  # load Django once, before forking: the processes share its pages
        "threads": threads_per_process(),
        "accesslog": None,
        "loglevel": "warning",
        "timeout": 60,
        "when_ready": freeze_loaded,
    }


def serve(*, host: str, port: int, workers: int | None, logins: list[dict[str, Any]]) -> None:
    before_forking()
    worker = subprocess.Popen([sys.executable, "-m", "aftersales.cli", "worker"], env=os.environ.copy())
    print(_banner(host, port, logins), flush=True)
    try:
        _Gunicorn(gunicorn_options(host=host, port=port, workers=workers)).run()
    finally:
        worker.terminate()
        worker.wait(timeout=10)
