"""The queue and the timers are served by indexes that lead with what they filter on (EXPLAIN)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction

from aftersales.cases.models import AfterSale
from aftersales.timers.models import Timer
from tests.factories import sh


def _plan(qs: Any) -> str:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                # Tables are tiny in tests; forbid the sequential scan so the plan shows which index serves.
                cur.execute("SET LOCAL enable_seqscan = off")
        return str(qs.explain())


def _assert_ordered_index_scan(plan: str) -> None:
    # Every case_queue_* index starts with (shop_id, …) and ends with (due_sort, id).
    assert re.search(r"case_queue_(state|waiting|all)", plan), plan
    assert "TEMP B-TREE" not in plan.upper(), plan  # SQLite sorting rows itself
    assert not re.search(r"^\s*(->\s*)?Sort\b", plan, re.M), plan  # PostgreSQL sorting rows itself


@pytest.mark.django_db
def test_merchant_queue_by_state_uses_the_shop_state_deadline_index(world: Any) -> None:
    # given the merchant's queue query: one shop, one state, by deadline
    qs = AfterSale.objects.filter(shop_id=world.shop.pk, state="pending_merchant").order_by("due_sort", "id")[
        :20
    ]
    # when it is explained
    plan = _plan(qs)
    # then an index leading with the shop serves it in deadline order, without sorting the shop's cases
    _assert_ordered_index_scan(plan)


@pytest.mark.django_db
def test_queue_by_who_must_act_uses_the_waiting_index(world: Any) -> None:
    qs = AfterSale.objects.filter(shop_id=world.shop.pk, waiting_on="merchant").order_by("due_sort", "id")[
        :20
    ]
    plan = _plan(qs)
    _assert_ordered_index_scan(plan)


@pytest.mark.django_db
def test_due_timers_are_found_through_the_partial_due_index(world: Any) -> None:
    # given the worker's claim: pending timers due now, oldest first
    qs = Timer.objects.filter(status="pending", next_attempt_at__lte=sh(2026, 11, 18, 10)).order_by(
        "next_attempt_at", "id"
    )[:1]
    # when it is explained
    plan = _plan(qs)
    # then the partial index of pending timers serves it: the cost follows what is due, not what is stored
    assert "timer_due" in plan, plan
