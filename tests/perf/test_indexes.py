"""The queue and the timers are served by indexes that lead with what they filter on (EXPLAIN)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from aftersales.accounts.services import ensure_buyer
from aftersales.cases import queries
from aftersales.cases.models import AfterSale, CaseItem
from aftersales.cases.services.common import refunded_statement
from aftersales.catalog.models import Sku
from aftersales.chat.models import Conversation, Message
from aftersales.core.planner import refresh_planner_statistics
from aftersales.orders.models import Order, OrderItem
from aftersales.risk.queries import refund_only_statement, same_sku_statement
from aftersales.timers import worker
from aftersales.timers.models import Timer
from tests.factories import make_sku, sh

T = sh(2026, 11, 18, 10)


def _history(world: Any, n: int = 400) -> None:
    """Enough cases in the shop, in several states, for the planner to have real choices; then statistics."""
    buyer = ensure_buyer("explain-buyer")
    orders = Order.objects.bulk_create(
        Order(shop=world.shop, order_sn=f"EXPLAIN-{world.shop.pk}-{i}", buyer=buyer, receiver_name="张三",
              receiver_phone="13812345678", receiver_address="上海", paid_fen=100, paid_at=T, created_at=T)
        for i in range(n)
    )  # fmt: skip
    states = ["pending_merchant", "refunded", "rejected", "closed"]
    AfterSale.objects.bulk_create(
        AfterSale(shop=world.shop, order=o, order_sn=o.order_sn, buyer=buyer, type="refund_only",
                  state=states[i % 4], waiting_on="merchant" if i % 4 == 0 else "", reason_code="damaged",
                  merchant_fault=True, return_freight_payer="merchant", initiated_by="buyer",
                  deadline_at=T + timedelta(minutes=i), due_sort=T + timedelta(minutes=i), created_at=T, updated_at=T)
        for i, o in enumerate(orders)
    )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def _statement_plan(sql: str, params: list[Any]) -> str:
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(col) for col in row) for row in cur.fetchall())


def _queue_plan(world: Any, **filters: Any) -> str:
    """The plan of the statement that finds the merchant's queue page for ``filters``."""
    statement = queries.queue_statement(world.merchant, queries.QueueFilter(**filters), now=T)
    assert statement is not None
    return _statement_plan(*statement.statement)


def _assert_ordered_index_scan(plan: str, index: str = r"case_queue_(state|waiting|all)") -> None:
    # Every case_queue_* index starts with (shop_id, …) and ends with (due_sort, id); case_created with
    # (shop_id, created_at, id).
    assert re.search(index, plan), plan
    assert "TEMP B-TREE" not in plan.upper(), plan  # SQLite sorting rows itself
    assert not re.search(r"^\s*(->\s*)?(Incremental )?Sort\b", plan, re.M), (
        plan
    )  # PostgreSQL sorting rows itself


def _second_page_cursor(world: Any, **filters: Any) -> str:
    _, cursor = queries.queue(world.merchant, queries.QueueFilter(limit=20, **filters), now=T)
    assert cursor is not None
    return cursor


@pytest.mark.django_db
def test_merchant_queue_by_state_uses_the_shop_state_deadline_index(world: Any) -> None:
    # given the merchant's queue on a shop with a history: one shop, one state, by deadline
    _history(world)
    # when its statement is explained, for the first page and for the next
    first = _queue_plan(world, state="pending_merchant")
    cursor = _second_page_cursor(world, state="pending_merchant")
    second = _queue_plan(world, state="pending_merchant", cursor=cursor)
    # then an index leading with the shop serves it in deadline order, without sorting the shop's cases
    _assert_ordered_index_scan(first, "case_queue_state")
    _assert_ordered_index_scan(second, "case_queue_state")


@pytest.mark.django_db
def test_queue_by_who_must_act_uses_the_waiting_index(world: Any) -> None:
    _history(world)
    _assert_ordered_index_scan(_queue_plan(world, waiting_on="merchant"), "case_queue_waiting")


@pytest.mark.django_db
def test_whole_queue_by_deadline_and_newest_first_use_their_indexes(world: Any) -> None:
    _history(world)
    _assert_ordered_index_scan(_queue_plan(world), "case_queue_all")
    newest = _queue_plan(world, sort="-created", cursor=_second_page_cursor(world, sort="-created"))
    _assert_ordered_index_scan(newest, "case_created")


@pytest.mark.django_db
def test_due_timers_are_found_through_the_partial_due_index(world: Any) -> None:
    # given a shop's history, each case with a pending timer, many due at the same moment (deadlines fall on
    # the same hours), a third of them due now, and statistics
    _history(world, n=3000)
    cases = AfterSale.objects.filter(shop=world.shop).order_by("id")
    Timer.objects.bulk_create(
        Timer(shop=world.shop, case=case, kind="merchant_overdue", state=case.state, case_version=1,
              due_at=T + timedelta(hours=i % 3), next_attempt_at=T + timedelta(hours=i % 3), created_at=T)
        for i, case in enumerate(cases)
    )  # fmt: skip
    refresh_planner_statistics()  # as the server and the worker gather them
    # and the statement the worker claims with: pending timers due now, oldest first, with case and shop
    claim = worker.claim_query(T + timedelta(minutes=30))
    # when it is explained
    plan = _statement_plan(claim.sql, claim.params)
    # then the partial index of pending timers serves it, in its order: the cost follows what is due, not
    # what is stored (not every case of the shop read and sorted)
    assert "timer_due" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def _recent_applications(world: Any) -> tuple[list[Any], Sku]:
    """A shop's recent history of 600 refund-only applications by 200 buyers, each on its own order and
    naming one SKU, with statistics."""
    buyers = [ensure_buyer(f"rule8-{i}") for i in range(200)]
    sku = Sku.objects.get(shop=world.shop, sku=make_sku(world))
    orders = Order.objects.bulk_create(
        Order(shop=world.shop, order_sn=f"RULE8-{world.shop.pk}-{i}", buyer=buyers[i % 200], receiver_name="张三",
              receiver_phone="13812345678", receiver_address="上海", paid_fen=100, paid_at=T, created_at=T)
        for i in range(600)
    )  # fmt: skip
    lines = OrderItem.objects.bulk_create(
        OrderItem(
            shop=world.shop, order=o, sku=sku, sku_code=sku.sku, qty=1, unit_price_fen=100, paid_fen=100
        )
        for o in orders
    )
    cases = AfterSale.objects.bulk_create(
        AfterSale(shop=world.shop, order=o, order_sn=o.order_sn, buyer_id=o.buyer_id, type="refund_only",
                  state="refunded", reason_code="damaged", merchant_fault=True, return_freight_payer="merchant",
                  initiated_by="buyer", created_at=T, updated_at=T)
        for o in orders
    )  # fmt: skip
    CaseItem.objects.bulk_create(
        CaseItem(shop=world.shop, case=c, order_item=line, sku_code=sku.sku, qty=1)
        for c, line in zip(cases, lines, strict=True)
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return buyers, sku


@pytest.mark.django_db
def test_rule_8_count_follows_the_buyers_recent_cases_not_the_shops_history(world: Any) -> None:
    # given a shop's recent history of 600 applications by 200 buyers, each naming one SKU, and statistics
    buyers, sku = _recent_applications(world)
    # when rule 8's count for three of them (asked on every application and every queue page) is explained
    statement = same_sku_statement(
        {(world.shop.pk, b.pk, sku.sku) for b in buyers[:3]}, now=T + timedelta(days=1)
    )
    plan = _statement_plan(*statement)
    # then it starts from those buyers' recent cases, not from every recent case of the shop
    assert "case_buyer_created" in plan, plan


@pytest.mark.django_db
def test_the_buyer_flags_of_a_queue_page_read_from_indexes_alone(world: Any) -> None:
    # given a shop's recent history of 600 applications by 200 buyers, and statistics
    buyers, sku = _recent_applications(world)
    ids = [b.pk for b in buyers[:20]]
    # when the statements behind the flags of a page of 20 buyers (the merchant's view) are explained
    refund_only = _statement_plan(*refund_only_statement(ids, world.shop.pk, T + timedelta(days=1)))
    same_sku = _statement_plan(
        *same_sku_statement({(world.shop.pk, b, sku.sku) for b in ids}, now=T + timedelta(days=1))
    )
    # then the buyers' recent cases and those cases' SKUs are read from their indexes, and the platform's
    # clearings of a buyer's SKU are found by buyer and SKU, not among the shop's every risk record
    assert "case_buyer_created" in same_sku and "caseitem_case_sku" in same_sku, same_sku
    assert "risk_buyer_sku" in same_sku, same_sku
    if connection.vendor == "sqlite":
        # and the buyers' orders, their cases' types, their recent cases and those cases' SKUs are read from
        # indexes that hold every column asked for: no row of the tables is read
        for index in ("order_shop_buyer", "case_order"):
            assert f"COVERING INDEX {index}" in refund_only, refund_only
        for index in ("case_buyer_created", "caseitem_case_sku"):
            assert f"COVERING INDEX {index}" in same_sku, same_sku
    else:
        # and the orders are found from the buyers and the cases' types through ``case_order``. Which index
        # of the buyer's orders PostgreSQL takes moves with what earlier tests left in the tables (a test's
        # rows are never all-visible, so the covering one saves it no read here): either starts from the
        # buyers, never from the shop's every order
        assert re.search(
            r"Index (Only )?Scan (using|on) (order_shop_buyer|orders_order_buyer_id_\w+)", refund_only
        ), refund_only
        assert "case_order" in refund_only, refund_only


@pytest.mark.django_db
def test_the_claim_starts_from_the_due_timers_in_a_store_of_one_busy_shop() -> None:
    # given a store of one shop with 10 000 open cases, each with a pending timer, 1 000 of them due at the
    # same moment, and the statistics the server gathers (a shape that once led SQLite to start from the shop)
    from bench.data import T0, bulk_history, make_shop

    bulk_history(make_shop("one-busy-shop"), 10_000, open_share=1.0, due=1_000)
    refresh_planner_statistics()
    # when the worker's claim is explained
    claim = worker.claim_query(T0)
    plan = _statement_plan(claim.sql, claim.params)
    # then it reads the due timers in order through their index, not every case of the shop, sorted
    assert "timer_due" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


# The tables every command writes to: each index is one more page to write with each row. Each non-unique
# index starts with the shop, as performance.md asks (the distribution column), except those whose reads
# cross shops by design.
WRITE_PATH_TABLES = ("cases_aftersale", "cases_caseevent", "timers_timer", "chat_message")
CROSS_SHOP_INDEXES = {
    "timer_due": "the worker claims the due timers of every shop",
    "case_buyer_created": "a buyer's own cases, in every shop",
}


@pytest.mark.django_db
def test_the_tables_every_command_writes_have_no_index_that_does_not_start_with_the_shop() -> None:
    # given the schema as migrated
    with connection.cursor() as cur:
        found = {table: connection.introspection.get_constraints(cur, table) for table in WRITE_PATH_TABLES}
    # when the non-unique indexes of the tables every command writes to are listed
    indexes = {
        (table, name): c["columns"]
        for table, constraints in found.items()
        for name, c in constraints.items()
        if c["index"] and not c["unique"] and not c["primary_key"]
    }
    assert ("cases_aftersale", "case_queue_state") in indexes  # the listing sees the indexes
    # then each starts with the shop, or reads across shops for a reason that is written down
    strays = {
        key: columns
        for key, columns in indexes.items()
        if columns[0] != "shop_id" and key[1] not in CROSS_SHOP_INDEXES
    }
    assert not strays, strays


# Rows that hang off an owner whose own key to the shop holds theirs.
OWNED_ROWS = {
    "cases_caseevent": "cases_aftersale",
    "cases_caseitem": "cases_aftersale",
    "timers_timer": "cases_aftersale",
    "refunds_refund": "cases_aftersale",
    "logistics_shipment": "cases_aftersale",
    "catalog_stockreservation": "cases_aftersale",
    "chat_message": "chat_conversation",
}


@pytest.mark.django_db
def test_rows_a_command_writes_under_a_case_leave_their_shop_to_the_case_and_lock_no_shop_row() -> None:
    # given the schema as migrated
    def foreign_keys(table: str) -> set[str]:
        with connection.cursor() as cur:
            constraints = connection.introspection.get_constraints(cur, table)
        return {c["foreign_key"][0] for c in constraints.values() if c["foreign_key"]}

    # then each row a command writes under a case (or a conversation) checks its owner and not the shop, so
    # no command locks the shop's row on PostgreSQL (a lock every command of the shop would share)
    for table, owner in OWNED_ROWS.items():
        keys = foreign_keys(table)
        assert owner in keys, (table, keys)
        assert "accounts_shop" not in keys, (table, keys)
    # and the owners keep theirs
    assert {"accounts_shop"} <= foreign_keys("cases_aftersale") & foreign_keys("chat_conversation")


@pytest.mark.django_db
def test_an_orders_cases_are_found_by_its_shop_and_id(world: Any) -> None:
    # given a shop with 400 cases on 400 orders, and statistics
    _history(world)
    order = Order.objects.filter(shop=world.shop).order_by("id")[200]
    # when the reads of an order's cases are explained: the refunds of its other cases (rules 7 and the
    # refund's amount) and the applications it has used (its after-sales entry)
    refunded = _statement_plan(*refunded_statement(world.shop.pk, order.pk, excluding_case=None))
    used = AfterSale.objects.filter(shop_id=order.shop_id, order=order, counts_as_application=True)
    entry = _statement_plan(*used.query.sql_with_params())
    # then both start from the index of the shop's cases by order
    assert "case_order" in refunded, refunded
    assert "case_order" in entry, entry


@pytest.mark.django_db
def test_an_orders_chat_is_read_through_the_shops_conversation_index(world: Any) -> None:
    # given a shop whose 400 orders each have a conversation with two messages, and statistics
    _history(world)
    orders = list(Order.objects.filter(shop=world.shop).order_by("id"))
    conversations = Conversation.objects.bulk_create(
        Conversation(shop=world.shop, order=o, created_at=T) for o in orders
    )
    Message.objects.bulk_create(
        Message(shop=world.shop, conversation=c, at=T + timedelta(seconds=k), sender_role="buyer",
                sender_id="b", to="merchant", text=f"消息 {k}")
        for c in conversations for k in range(2)
    )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    # when the read of one order's messages (the chat window, the dispute record) is explained
    order = orders[200]
    read = Message.objects.filter(shop_id=order.shop_id, conversation__order=order).order_by("at", "id")
    plan = _statement_plan(*read.query.sql_with_params())
    # then the messages are found by the shop and the conversation
    assert "message_conversation_at" in plan, plan
