"""What every benchmark shares: a fresh database per run, Django set up on it, timing and the JSON line."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def emit(bench: str, n: int, ours: float, ceiling: float, unit: str, **extra: Any) -> dict[str, Any]:
    """One result line. ``ratio`` is ours / ceiling for rates, and is read against the target of performance.md."""
    line = {"bench": bench, "n": n, "ours": round(ours, 3), "ceiling": round(ceiling, 3),
            "ratio": round(ours / ceiling, 3) if ceiling else None, "unit": unit, **extra}  # fmt: skip
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def engine() -> str:
    url = os.environ.get("AFTERSALES_DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


@contextmanager
def fresh_database(
    kind: str, postgres_url: str | None, template: str | None = None
) -> Iterator[dict[str, str]]:
    """Environment for a child process that owns a new database of ``kind``: empty, or a copy of ``template``
    (the URL of a database of that kind with no one connected to it, such as ``migrated_template``'s)."""
    workdir = Path(tempfile.mkdtemp(prefix="aftersales-bench-"))
    env = dict(os.environ)
    env["AFTERSALES_DATA_DIR"] = str(workdir)
    try:
        if kind == "sqlite":
            path = workdir / "bench.sqlite3"
            if template is not None:
                source = Path(template.removeprefix("sqlite:///"))
                for suffix in ("", "-wal"):  # the log, if the last connection left one
                    if Path(f"{source}{suffix}").exists():
                        shutil.copyfile(f"{source}{suffix}", f"{path}{suffix}")
            env["AFTERSALES_DATABASE_URL"] = f"sqlite:///{path}"
            yield env
        else:
            assert postgres_url is not None
            name = f"bench_{os.getpid()}_{int(time.time() * 1000) % 10_000_000}"
            copy = f" TEMPLATE {template.rsplit('/', 1)[1]}" if template is not None else ""
            _admin_sql(postgres_url, f"CREATE DATABASE {name}{copy}")
            env["AFTERSALES_DATABASE_URL"] = postgres_url.rsplit("/", 1)[0] + "/" + name
            try:
                yield env
            finally:
                _admin_sql(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def migrated_template(kind: str, postgres_url: str | None) -> Iterator[str]:
    """A database of ``kind`` with every migration applied and nothing more, made once for all the benches of
    a run, each of which starts from a copy of it; its URL."""
    with fresh_database(kind, postgres_url) as env:
        subprocess.run([sys.executable, "-m", "bench.run", "migrate"], env=env, check=True)
        yield env["AFTERSALES_DATABASE_URL"]


def _admin_sql(url: str, sql: str) -> None:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def throwaway_postgres(wanted: bool = True) -> Iterator[str | None]:
    """A PostgreSQL server of our own on 127.0.0.1, when the machine has one installed and we are root."""
    if not wanted:
        yield None
        return
    given = os.environ.get("AFTERSALES_BENCH_POSTGRES_URL")
    if given:
        yield given
        return
    initdb = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not initdb or os.geteuid() != 0 or shutil.which("runuser") is None:
        yield None
        return
    bindir = initdb[-1].parent
    data = Path(tempfile.mkdtemp(prefix="aftersales-bench-pg-"))
    shutil.chown(data, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*run, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
                   check=True, capture_output=True)  # fmt: skip
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c max_connections=200 -c shared_buffers=256MB"
    subprocess.run([*run, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(data / "log"), "-o", opts, "start"],
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(data, ignore_errors=True)


def child(name: str, quick: bool, env: dict[str, str]) -> int:
    args = [sys.executable, "-m", "bench.run", name] + (["--quick"] if quick else [])
    return subprocess.run(args, env=env, check=False).returncode
