"""The child side: ``python -m bench.run NAME [--quick]`` on the database of AFTERSALES_DATABASE_URL
(``migrate`` only migrates it)."""

from __future__ import annotations

import argparse
import importlib

from bench.common import setup_django

MODULES = {
    "transitions": "bench.transitions",
    "http": "bench.http",
    "queue": "bench.queue",
    "timers": "bench.timers",
    "import": "bench.imports",
    "writers": "bench.writers",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("name", choices=[*MODULES, "migrate"])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django()  # ``migrate`` does no more
    if args.name == "migrate":
        return
    importlib.import_module(MODULES[args.name]).run(quick=args.quick)


if __name__ == "__main__":
    main()
