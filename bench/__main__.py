"""``python -m bench NAME [--quick]`` or ``python -m bench all --quick``.

Each bench runs in a child process on a fresh database: SQLite (a file, WAL) always, and PostgreSQL
when ``AFTERSALES_BENCH_POSTGRES_URL`` is set or a throwaway server can be started here."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack

from bench.common import child, fresh_database, migrated_template, throwaway_postgres

BENCHES = {
    "transitions": ("sqlite", "postgresql"),
    "http": ("sqlite",),
    "queue": ("sqlite", "postgresql"),
    "timers": ("sqlite", "postgresql"),
    "import": ("sqlite",),
}
# Benches of a mechanism of ours rather than of a target: run by name only, not by ``all``.
BY_NAME_ONLY = {"writers": ("sqlite",)}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=[*BENCHES, *BY_NAME_ONLY, "all"])
    parser.add_argument("--quick", action="store_true", help="small sizes: all benches in under 2 minutes")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    names = list(BENCHES) if args.name == "all" else [args.name]
    failed = 0
    kinds = {**BENCHES, **BY_NAME_ONLY}
    wants_pg = not args.sqlite_only and any("postgresql" in kinds[n] for n in names)
    with throwaway_postgres(wants_pg) as pg, ExitStack() as templates:
        migrated: dict[str, str] = {}
        for name in names:
            for kind in kinds[name]:
                if kind == "postgresql" and pg is None:
                    continue
                if kind not in migrated:  # migrated once, copied for each bench
                    migrated[kind] = templates.enter_context(migrated_template(kind, pg))
                started = time.monotonic()
                with fresh_database(kind, pg, migrated[kind]) as env:
                    failed += child(name, args.quick, env) != 0
                # On stderr, so that stdout stays one JSON object a line.
                print(f"# {name} on {kind}: {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
