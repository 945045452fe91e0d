"""S8 — The merchant does not answer, of acceptance.md: an application nobody touches for 48 hours is acted on
by the system when the timers run. refund_only is agreed (the event's actor is ``system``), return_refund is
agreed with the shop's default return address, reship goes to ``platform_review``."""

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.acceptance.support import run_worker, timeline, when
from tests.conftest import postgres_only
from tests.factories import make_order, sh

SKU = "PHONE-CASE"
APPLIED_AT = sh(2026, 11, 18, 10)
DEADLINE = sh(2026, 11, 20, 10)


def _untouched_application(api, world, frozen, case_type: str, reason_code: str) -> tuple[dict, dict]:
    """A buyer's application made on 11-18 at 10:00 that the merchant never answers; returns the case as the
    buyer saw it and the buyer's client."""
    buyer, token = world.buyer()
    order = make_order(world, buyer, signed_at=sh(2026, 11, 16, 10))
    b = api(token)
    frozen.at(APPLIED_AT)
    body = {"order_sn": order.order_sn, "type": case_type, "reason_code": reason_code,
            "items": [{"sku": SKU, "qty": 1}]}  # fmt: skip
    case = b.ok(b.post("/after-sales", body), 201)
    assert case["state"] == "pending_merchant"
    assert case["waiting_on"] == "merchant"
    assert when(case["deadline_at"]) == DEADLINE
    return case, {"buyer": b, "merchant": api(world.merchant_token)}


def _child_env() -> dict[str, str]:
    """The environment of an ``aftersales`` child process that must see this test's PostgreSQL database."""
    env = dict(os.environ)
    url = urlsplit(env["AFTERSALES_DATABASE_URL"])
    env["AFTERSALES_DATABASE_URL"] = urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))
    return env


def test_s08_refund_only_untouched_for_48h_is_agreed_by_system(api, world, frozen, settings):
    # given a refund_only application nobody answers, and a payment side that takes a while to settle
    settings.SIMULATED_REFUND_DELAY = 3600
    case, c = _untouched_application(api, world, frozen, "refund_only", "damaged")
    buyer_id = c["buyer"].ok(c["buyer"].get(f"/after-sales/{case['id']}/events"))["items"][0]["actor"]["id"]

    # when 48 hours pass and the timers run
    frozen.at(DEADLINE)
    report = run_worker()

    # then the system has agreed: the refund of the goods has started, and the event's actor is system
    assert report["fired"] == 1
    assert report["by_kind"]["fired"] == {"merchant_overdue": 1}
    after = c["merchant"].ok(c["merchant"].get(f"/after-sales/{case['id']}"))
    assert after["state"] == "refunding"
    assert after["waiting_on"] == "payment"
    assert after["pdd_status"] == 4
    assert after["refund"]["amount_fen"] == 1990
    assert when(after["refund"]["initiated_at"]) == DEADLINE
    events = c["merchant"].ok(c["merchant"].get(f"/after-sales/{case['id']}/events"))
    assert timeline(events) == [
        ("apply", "buyer", buyer_id, None, "pending_merchant"),
        ("expire", "system", "system", "pending_merchant", "refunding"),
    ]
    assert when(events["items"][-1]["at"]) == DEADLINE


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_s08_refund_only_is_agreed_by_the_timers_run_command(api, world, frozen):
    # given a refund_only application nobody answers
    case, c = _untouched_application(api, world, frozen, "refund_only", "damaged")

    # when 48 hours later the command runs, in its own process
    done = subprocess.run(
        [sys.executable, "-m", "aftersales.cli", "timers", "run", "--now", DEADLINE.isoformat()],
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then it reports the one deadline it fired and the refund it settled
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["fired"] == 1
    assert report["by_kind"]["fired"] == {"merchant_overdue": 1}
    assert report["refunds"] == {"succeeded": 1, "failed": 0}
    # and the case was agreed by the system, then refunded by the payment side
    after = c["buyer"].ok(c["buyer"].get(f"/after-sales/{case['id']}"))
    assert after["state"] == "refunded"
    steps = timeline(c["buyer"].ok(c["buyer"].get(f"/after-sales/{case['id']}/events")))
    assert [s[:2] for s in steps] == [("apply", "buyer"), ("expire", "system"), ("settle", "payment")]
    assert steps[1][3:] == ("pending_merchant", "refunding")


def test_s08_return_refund_untouched_is_agreed_with_the_default_return_address(api, world, frozen):
    # given a return_refund application nobody answers, in a shop with a default return address
    case, c = _untouched_application(api, world, frozen, "return_refund", "quality_issue")
    default_address = c["merchant"].ok(c["merchant"].get("/shop"))["default_return_address"]
    assert default_address

    # when 48 hours pass and the timers run
    frozen.at(DEADLINE)
    report = run_worker()

    # then the system agreed: the buyer has 7 days to send the goods to the shop's default address
    assert report["by_kind"]["fired"] == {"merchant_overdue": 1}
    after = c["buyer"].ok(c["buyer"].get(f"/after-sales/{case['id']}"))
    assert after["state"] == "awaiting_return"
    assert after["waiting_on"] == "buyer"
    assert after["return_address"] == default_address
    assert when(after["deadline_at"]) == sh(2026, 11, 27, 10)
    assert after["allowed_actions"] == ["ship_return", "cancel"]
    last = c["buyer"].ok(c["buyer"].get(f"/after-sales/{case['id']}/events"))["items"][-1]
    assert (last["action"], last["actor"]["role"]) == ("expire", "system")
    assert (last["from_state"], last["to_state"]) == ("pending_merchant", "awaiting_return")
    assert last["data"]["return_address"] == default_address
    # and the buyer got the return_address card with it
    messages = c["buyer"].ok(c["buyer"].get(f"/orders/{after['order_sn']}/messages"))["items"]
    cards = [m["card"] for m in messages if m["card"] and m["card"]["type"] == "return_address"]
    assert len(cards) == 1
    assert cards[0]["case_id"] == case["id"]
    assert cards[0]["data"]["address"] == default_address


def test_s08_reship_untouched_goes_to_platform_review(api, world, frozen):
    # given a reship application nobody answers
    case, c = _untouched_application(api, world, frozen, "reship", "missing_item")

    # when 48 hours pass and the timers run
    frozen.at(DEADLINE)
    report = run_worker()

    # then the platform has the case, with 3 business days (Mon 23, Tue 24, Wed 25) to decide
    assert report["by_kind"]["fired"] == {"merchant_overdue": 1}
    after = c["merchant"].ok(c["merchant"].get(f"/after-sales/{case['id']}"))
    assert after["state"] == "platform_review"
    assert after["waiting_on"] == "platform"
    assert after["pdd_status"] == 8
    assert when(after["deadline_at"]) == sh(2026, 11, 26, 0)
    last = c["merchant"].ok(c["merchant"].get(f"/after-sales/{case['id']}/events"))["items"][-1]
    assert (last["action"], last["actor"]["role"]) == ("expire", "system")
    assert (last["from_state"], last["to_state"]) == ("pending_merchant", "platform_review")
