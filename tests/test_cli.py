"""The ``aftersales`` command, run for real in a subprocess against a temporary SQLite file.

Each test has its own data directory; AFTERSALES_DATABASE_URL is removed, so the command uses (and migrates)
an SQLite file there whichever database the rest of the suite runs on."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

TIMEOUT = 120


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean["AFTERSALES_DATA_DIR"] = str(tmp_path / "data")
    clean["PYTHONUNBUFFERED"] = "1"
    return clean


def aftersales(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aftersales.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def django_python(env: dict[str, str], code: str, *args: str) -> Any:
    """Run ``code`` with Django set up on the same database; it prints one JSON value, returned here."""
    script = "import django, json, sys\ndjango.setup()\n" + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env={**env, "DJANGO_SETTINGS_MODULE": "aftersales.config.settings"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit code 2, nothing on stdout, one line on stderr naming ``words``."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


def test_shop_create_prints_the_code(env):
    # given an empty data directory
    # when
    done = aftersales(env, "shop", "create", "tea-shop", "--name", "茶叶小铺")
    # then
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"shop": "tea-shop"}
    assert (Path(env["AFTERSALES_DATA_DIR"]) / "aftersales.sqlite3").exists()


def test_shop_create_twice_exits_2(env):
    # given
    aftersales(env, "shop", "create", "tea-shop", "--name", "茶叶小铺")
    # when
    done = aftersales(env, "shop", "create", "tea-shop", "--name", "茶叶小铺")
    # then
    assert_refused(done, "tea-shop")


def test_merchant_token_prints_one_token_that_authenticates(env):
    # given a shop
    aftersales(env, "shop", "create", "tea-shop", "--name", "茶叶小铺")
    # when
    done = aftersales(
        env, "token", "create", "--role", "merchant", "--shop", "tea-shop", "--name", "客服小王"
    )
    # then one line, one token, for a merchant of that shop
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0].strip()
    assert re.fullmatch(r"\S{20,}", token)
    actor = django_python(
        env,
        """
        from aftersales.accounts.models import Shop
        from aftersales.accounts.services import actor_for_token
        a = actor_for_token(sys.argv[1])
        print(json.dumps({"role": a.role, "id": a.id, "shop": Shop.objects.get(pk=a.shop_id).code}))
        """,
        token,
    )
    assert actor == {"role": "merchant", "id": "客服小王", "shop": "tea-shop"}


def test_buyer_and_platform_tokens_authenticate_as_their_role(env):
    # given
    # when
    buyer = aftersales(env, "token", "create", "--role", "buyer", "--buyer", "pdd-123")
    platform = aftersales(env, "token", "create", "--role", "platform")
    # then
    assert buyer.returncode == platform.returncode == 0, buyer.stderr + platform.stderr
    actors = django_python(
        env,
        """
        from aftersales.accounts.services import actor_for_token
        print(json.dumps([[a.role, a.id] for a in map(actor_for_token, sys.argv[1:])]))
        """,
        buyer.stdout.strip(),
        platform.stdout.strip(),
    )
    assert actors[0] == ["buyer", "pdd-123"]
    assert actors[1][0] == "platform"


def test_token_for_unknown_shop_exits_2_with_one_line(env):
    # given no shop
    # when
    done = aftersales(env, "token", "create", "--role", "merchant", "--shop", "nope")
    # then
    assert_refused(done, "not_found")


def test_merchant_token_without_shop_exits_2_with_one_line(env):
    # given
    # when
    done = aftersales(env, "token", "create", "--role", "merchant")
    # then
    assert_refused(done, "--shop")


@pytest.mark.parametrize(
    "args, word",
    [
        (["token", "create", "--role", "wizard"], "wizard"),
        (["no-such-command"], "no-such-command"),
        (["timers", "run", "--now"], "--now"),
        (["shop"], "aftersales shop --help"),
    ],
    ids=["bad-choice", "bad-command", "missing-value", "missing-subcommand"],
)
def test_bad_usage_exits_2_with_one_line(env, args, word):
    # given
    # when
    done = aftersales(env, *args)
    # then
    assert_refused(done, word)


def test_user_create_reads_password_from_stdin(env):
    # given a shop
    aftersales(env, "shop", "create", "tea-shop", "--name", "茶叶小铺")
    # when
    done = aftersales(
        env,
        "user",
        "create",
        "xiaowang",
        "--role",
        "merchant",
        "--shop",
        "tea-shop",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    # then the login works with that password, not another
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"user": "xiaowang", "role": "merchant"}
    checked = django_python(
        env,
        """
        from django.contrib.auth import authenticate
        from aftersales.accounts.models import Membership
        m = Membership.objects.select_related("shop").get(user__username="xiaowang")
        print(json.dumps({
            "right": authenticate(username="xiaowang", password="correct horse battery") is not None,
            "wrong": authenticate(username="xiaowang", password="correct horse") is not None,
            "role": m.role,
            "shop": m.shop.code,
        }))
        """,
    )
    assert checked == {"right": True, "wrong": False, "role": "merchant", "shop": "tea-shop"}


def test_user_create_with_short_password_exits_2(env):
    # given
    # when
    done = aftersales(
        env, "user", "create", "xiaoli", "--role", "platform", "--password-stdin", stdin="short\n"
    )
    # then the refusal names the rule, in Chinese as the command speaks by default
    assert_refused(done, "validation_error", "密码", "8")


def test_timers_run_prints_a_json_summary(env):
    # given a refund-only case waiting on the merchant since 2026-11-18 10:00 (+08:00)
    aftersales(env, "migrate")
    case_id = django_python(
        env,
        """
        from datetime import datetime
        from aftersales.accounts.services import create_shop, ensure_buyer
        from aftersales.cases.services import Application, ItemRequest, apply
        from aftersales.catalog.services import create_sku
        from aftersales.core import clock
        from aftersales.core.actors import Actor
        from aftersales.orders.services import ItemInput, Receiver, create_order

        clock.freeze(datetime.fromisoformat("2026-11-18T10:00:00+08:00"))
        shop = create_shop("tea-shop", name="茶叶小铺")
        merchant = Actor(role="merchant", id="m", shop_id=shop.pk)
        create_sku(actor=merchant, sku="TEA", name="茶", price_fen=8800, stock=5)
        create_order(
            actor=merchant, order_sn="SN1", buyer_id="b1", receiver=Receiver("张三", "13812345678", "上海"),
            items=[ItemInput("TEA", 1, 8800)], freight_fen=0, paid_fen=8800,
            paid_at=datetime.fromisoformat("2026-11-15T10:00:00+08:00"),
            shipped_at=datetime.fromisoformat("2026-11-15T18:00:00+08:00"), carrier="ZTO",
            tracking_no="773312345678", signed_at=datetime.fromisoformat("2026-11-17T10:00:00+08:00"),
        )
        buyer = Actor(role="buyer", id="b1", buyer_id=ensure_buyer("b1").pk)
        case = apply(Application("SN1", "refund_only", "damaged", [ItemRequest("TEA", 1)]), actor=buyer)
        print(json.dumps(case.pk))
        """,
    )
    # when the timers run two days later, past the merchant's 48 hours
    done = aftersales(env, "timers", "run", "--now", "2026-11-20T10:00:00+08:00")
    # then the summary says what fired, and the case was refunded on the same pass
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["fired"] == 1
    assert summary["failed"] == 0
    assert summary["refunds"]["succeeded"] == 1
    assert datetime.fromisoformat(summary["now"]) == datetime.fromisoformat("2026-11-20T10:00:00+08:00")
    state = django_python(
        env,
        """
        from aftersales.cases.models import AfterSale
        print(json.dumps(AfterSale.objects.get(pk=int(sys.argv[1])).state))
        """,
        str(case_id),
    )
    assert state == "refunded"
    # and a second run fires nothing
    again = json.loads(aftersales(env, "timers", "run", "--now", "2026-11-20T10:00:00+08:00").stdout)
    assert again["fired"] == 0
    assert again["refunds"]["succeeded"] == 0


@pytest.mark.parametrize(
    "now, word",
    [("not-a-time", "not-a-time"), ("2026-11-20T10:00:00", "offset")],
    ids=["not-a-time", "no-offset"],
)
def test_timers_run_with_bad_time_exits_2_with_one_line(env, now, word):
    # given
    # when
    done = aftersales(env, "timers", "run", "--now", now)
    # then
    assert_refused(done, word)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM to the whole process group (the server, its web workers and its timer worker)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        raise


def test_serve_demo_answers_with_the_printed_logins(env, tmp_path):
    # given a free port and an SQLite data directory of its own (never AFTERSALES_DATABASE_URL)
    port = _free_port()
    serve_env = {k: v for k, v in env.items() if k != "AFTERSALES_DATABASE_URL"}
    log = tmp_path / "serve.log"
    # when the server starts with the demo
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "aftersales.cli", "serve", "--port", str(port), "--demo"],
            env=serve_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        printed = log.read_text()
        # then it prints its address and how to log in
        assert f"http://127.0.0.1:{port}/" in printed
        for role in ("merchant", "buyer", "platform"):
            assert re.search(rf"log in as {role}: \S+ / \S+", printed), printed
        token = re.search(r"API token \(merchant\): (\S+)", printed)
        assert token, printed
        base = f"http://127.0.0.1:{port}/api/v1"
        openapi = httpx.get(f"{base}/openapi.json", timeout=30)
        cases = httpx.get(
            f"{base}/after-sales", headers={"Authorization": f"Bearer {token.group(1)}"}, timeout=30
        )
        assert openapi.status_code == 200
        assert "/api/v1/after-sales" in openapi.json()["paths"]
        assert cases.status_code == 200, cases.text
        assert cases.json()["items"]
        assert {c["shop"] for c in cases.json()["items"]} == {"demo-shop"}
    finally:
        code = _stop(process)
    # and it stops cleanly on SIGTERM, its children with it
    assert code in (0, -signal.SIGTERM), log.read_text()
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)
    assert not _answers(port)
