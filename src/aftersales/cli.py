"""The ``aftersales`` command: serve, worker, migrate, shop, token, user, timers, demo.

Exit codes: 0 done, 2 bad usage or bad input (one line on stderr)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from typing import Any, NoReturn


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.config.settings")
    import django

    django.setup()


def _fail(message: str) -> NoReturn:
    print(f"aftersales: {message}", file=sys.stderr)
    raise SystemExit(2)


def _migrate(verbose: bool = False) -> None:
    from django.conf import settings
    from django.core.management import call_command

    if settings.ON_SQLITE:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


def _is_sqlite() -> bool:
    from django.conf import settings

    return bool(settings.ON_SQLITE)


def cmd_migrate(args: argparse.Namespace) -> None:
    _migrate(verbose=True)


def cmd_shop_create(args: argparse.Namespace) -> None:
    from aftersales.accounts.services import create_shop

    address = None
    if args.return_address:
        try:
            address = json.loads(args.return_address)
        except json.JSONDecodeError:
            _fail('--return-address must be JSON like {"name": …, "phone": …, "address": …}')
    shop = create_shop(args.code, name=args.name or args.code, default_return_address=address)
    print(json.dumps({"shop": shop.code}))


def cmd_shop_calendar(args: argparse.Namespace) -> None:
    from aftersales.accounts.services import get_shop, update_shop_calendar

    shop = update_shop_calendar(
        get_shop(args.code),
        holidays=args.holiday if args.holiday is not None else None,
        working_days=args.working_day if args.working_day is not None else None,
    )
    print(json.dumps({"shop": shop.code, "extra_holidays": shop.extra_holidays,
                      "extra_working_days": shop.extra_working_days}))  # fmt: skip


def cmd_token_create(args: argparse.Namespace) -> None:
    from aftersales.accounts.services import create_token, ensure_buyer, get_shop

    shop = buyer = None
    if args.role == "merchant":
        if not args.shop:
            _fail("a merchant token needs --shop CODE")
        shop = get_shop(args.shop)
    if args.role == "buyer":
        if not args.buyer:
            _fail("a buyer token needs --buyer BUYER_ID")
        buyer = ensure_buyer(args.buyer)
    _, key = create_token(role=args.role, shop=shop, buyer=buyer, name=args.name or "")
    print(key)


def cmd_user_create(args: argparse.Namespace) -> None:
    import getpass

    from aftersales.accounts.services import create_user, get_shop

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    shop = get_shop(args.shop) if args.shop else None
    create_user(args.username, password=password, role=args.role, shop=shop, buyer_id=args.buyer)
    print(json.dumps({"user": args.username, "role": args.role}))


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--now {text!r} is not an ISO 8601 time, e.g. 2026-11-20T10:00:00+08:00")
    if at.tzinfo is None:
        _fail(f"--now {text!r} has no offset; add one, e.g. +08:00")
    return at


def cmd_timers_run(args: argparse.Namespace) -> None:
    from django.conf import settings

    from aftersales.core import clock
    from aftersales.timers.worker import run_due

    at = _parse_now(args.now)
    if at is not None:
        clock.freeze(at)
    print(json.dumps(run_due(at, threads=settings.WORKER_THREADS), ensure_ascii=False))


def cmd_import(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from aftersales.orders.importer import import_lines, read_json_lines

    try:
        total = sum(1 for _ in read_json_lines(args.file))
    except OSError as exc:
        _fail(f"cannot read {args.file}: {exc.strerror}")
    with tqdm(total=total, unit="line", disable=args.quiet or None, file=sys.stderr) as bar:
        summary = import_lines(read_json_lines(args.file), batch_size=args.batch, progress=bar.update)
    print(json.dumps({"orders": summary.orders, "items": summary.items, "cases": summary.cases,
                      "skus_created": summary.skus_created, "buyers_created": summary.buyers_created}))  # fmt: skip


def cmd_worker(args: argparse.Namespace) -> None:
    from django.conf import settings

    from aftersales.timers.worker import run_forever

    run_forever(
        args.poll if args.poll is not None else settings.WORKER_POLL_SECONDS, threads=settings.WORKER_THREADS
    )


def cmd_demo(args: argparse.Namespace) -> None:
    from aftersales.demo import fill

    _migrate()
    print(json.dumps(fill(), ensure_ascii=False, indent=2))


def cmd_serve(args: argparse.Namespace) -> None:
    from aftersales.server import serve

    _migrate()
    logins: list[dict[str, Any]] = []
    if args.demo:
        from aftersales.demo import fill

        logins = fill()["logins"]
    serve(host=args.host, port=args.port, workers=args.workers, logins=logins)


class _Parser(argparse.ArgumentParser):
    """Bad usage is exit code 2 with a one-line reason, like bad input (argparse alone prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aftersales", description="After-sales service (售后).")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the pages, the API and the timer worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=None, help="web processes (default: one per core)")
    serve.add_argument("--demo", action="store_true", help="fill an empty database with demo data first")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the timer worker alone")
    worker.add_argument("--poll", type=float, default=None, help="seconds between passes")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="create or upgrade the schema").set_defaults(func=cmd_migrate)

    importer = sub.add_parser("import", help="bulk-load orders (with items and past cases) from JSON Lines")
    importer.add_argument("file")
    importer.add_argument("--batch", type=int, default=2000, help="lines per transaction")
    importer.add_argument("--quiet", action="store_true", help="no progress bar")
    importer.set_defaults(func=cmd_import)
    sub.add_parser("demo", help="fill an empty database with demo data").set_defaults(func=cmd_demo)

    shop = sub.add_parser("shop").add_subparsers(dest="shop_command", required=True)
    shop_create = shop.add_parser("create")
    shop_create.add_argument("code")
    shop_create.add_argument("--name")
    shop_create.add_argument("--return-address", help='JSON {"name", "phone", "address"}')
    shop_create.set_defaults(func=cmd_shop_create)
    shop_calendar = shop.add_parser("calendar", help="set the shop's own holidays and make-up working days")
    shop_calendar.add_argument("code")
    shop_calendar.add_argument("--holiday", action="append", help="YYYY-MM-DD; repeat; replaces the list")
    shop_calendar.add_argument("--working-day", action="append", help="YYYY-MM-DD; repeat; replaces the list")
    shop_calendar.set_defaults(func=cmd_shop_calendar)

    token = sub.add_parser("token").add_subparsers(dest="token_command", required=True)
    token_create = token.add_parser("create")
    token_create.add_argument("--role", required=True, choices=["merchant", "buyer", "platform"])
    token_create.add_argument("--shop")
    token_create.add_argument("--buyer")
    token_create.add_argument("--name")
    token_create.set_defaults(func=cmd_token_create)

    user = sub.add_parser("user").add_subparsers(dest="user_command", required=True)
    user_create = user.add_parser("create")
    user_create.add_argument("username")
    user_create.add_argument("--role", required=True, choices=["merchant", "buyer", "platform"])
    user_create.add_argument("--shop")
    user_create.add_argument("--buyer", help="the buyer id of a buyer login (default: the username)")
    user_create.add_argument("--password-stdin", action="store_true")
    user_create.set_defaults(func=cmd_user_create)

    timers = sub.add_parser("timers").add_subparsers(dest="timers_command", required=True)
    timers_run = timers.add_parser("run", help="fire every deadline due at or before NOW once")
    timers_run.add_argument("--now", help="ISO 8601 time with offset (default: the clock)")
    timers_run.set_defaults(func=cmd_timers_run)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    _setup()
    from aftersales.core.errors import DomainError

    try:
        if args.command not in ("migrate", "serve", "demo") and _is_sqlite():
            _migrate()  # a local SQLite file is made ready on first use; PostgreSQL is migrated explicitly
        args.func(args)
    except DomainError as exc:
        _fail(f"{exc.code}: {exc.detail()}")


if __name__ == "__main__":
    main()
