"""The built statements of aftersales.core.rows read and write what the ORM would, and a failing write inside a
pipeline comes out as Django's error with nothing of the transaction kept (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from aftersales.accounts.models import Shop
from aftersales.core import rows
from aftersales.core.rows.tables import db
from aftersales.timers.models import FIRED, PENDING, Timer
from tests.conftest import postgres_only
from tests.factories import make_order, make_sku, sh

T = sh(2026, 11, 18, 10)


def _case(world: Any, sku: str = "PHONE-CASE") -> Any:
    from aftersales.cases import services as cases

    if sku == "PHONE-CASE":
        make_sku(world)
    buyer, _ = world.buyer()
    order = make_order(world, buyer, items=[(sku, 1, 1990)], signed_at=T - timedelta(days=1))
    with transaction.atomic():
        return cases.apply(
            cases.Application(order.order_sn, "refund_only", "damaged", [cases.ItemRequest(sku, 1)]),
            actor=buyer,
        )


@pytest.mark.django_db
def test_a_row_read_by_a_built_statement_equals_the_orms(world: Any, frozen: Any) -> None:
    # given a case the services made, with JSON that has Chinese text, nesting and numbers in it
    case = _case(world)
    from aftersales.cases.models import AfterSale

    AfterSale.objects.filter(pk=case.pk).update(
        evidence=["https://img.example/破损1.jpg", {"note": "外箱压坏", "n": 2}],
        return_address={"name": "售后组", "phone": "13800000000", "detail": {"city": "杭州", "no": 7}},
    )

    # when it is read by a built statement, with its shop, and by the ORM
    built = rows.get_with(AfterSale, "shop", id=case.pk)
    orm = AfterSale.objects.select_related("shop").get(pk=case.pk)

    # then every field has the same value and type, and the shop came along
    assert built is not None
    for field in AfterSale._meta.concrete_fields:
        assert getattr(built, field.attname) == getattr(orm, field.attname), field.attname
        assert type(getattr(built, field.attname)) is type(getattr(orm, field.attname)), field.attname
        if isinstance(getattr(orm, field.attname), datetime):
            assert getattr(built, field.attname).utcoffset() == getattr(orm, field.attname).utcoffset()
    assert built.evidence[1]["note"] == "外箱压坏" and built.return_address["detail"]["city"] == "杭州"
    assert built.shop == orm.shop and built.shop.time_zone == orm.shop.time_zone
    assert built.deadline_at is not None and built.deadline_at.tzinfo is not None


@pytest.mark.django_db
def test_insert_update_and_update_where_write_what_the_orm_reads(world: Any, frozen: Any) -> None:
    # given a timer inserted by a built statement
    timer = rows.insert(Timer(shop_id=world.shop.pk, case_id=_case(world).pk, kind="merchant_overdue",
                              state="pending_merchant", case_version=1, due_at=T, next_attempt_at=T, created_at=T))  # fmt: skip
    # when it is updated field by field, then by condition
    timer.attempts, timer.last_error = 2, "网关超时"
    rows.update(timer, ["attempts", "last_error"])
    rows.update_where(
        Timer, {"status": FIRED, "fired_at": T + timedelta(hours=1)}, id=timer.pk, status=PENDING
    )
    # then the ORM reads back every change
    stored = Timer.objects.get(pk=timer.pk)
    assert (stored.attempts, stored.last_error, stored.status) == (2, "网关超时", FIRED)
    assert stored.fired_at == T + timedelta(hours=1)


@pytest.mark.django_db
def test_queries_read_together_answer_each_in_turn(world: Any) -> None:
    # given two shops
    other = Shop.objects.create(code="rows-other", name="另一家", created_at=T)
    # when three queries are fetched together, one of them matching nothing
    mine, both, none = rows.fetch(
        rows.query(Shop, one=True, id=world.shop.pk),
        rows.query(Shop, id=[world.shop.pk, other.pk]),
        rows.query(Shop, id=[]),
    )
    # then each has its own answer
    assert [s.code for s in mine] == [world.shop.code]
    assert sorted(s.pk for s in both) == sorted([world.shop.pk, other.pk])
    assert none == []


@pytest.mark.django_db(transaction=True)
def test_reads_together_one_after_another_each_answer_their_own_rows(world: Any) -> None:
    # given two shops
    other = Shop.objects.create(code="rows-other", name="另一家", created_at=T)
    mine, theirs = world.shop.pk, other.pk
    # when reads go together again and again on one connection, in a transaction with writes between them,
    # and one of them fails halfway through its statements
    with transaction.atomic(), rows.pipeline():
        first = rows.fetch(rows.query(Shop, id=mine), rows.query(Shop, id=theirs), rows.query(Shop, id=[]))
        rows.update_where(Shop, {"name": "改名"}, id=theirs)
        second = rows.fetch(rows.query(Shop, id=theirs), rows.query(Shop, id=mine))
        alone = rows.get(Shop, id=theirs)
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.read_together(
            ("SELECT id FROM accounts_shop", []), ("SELECT no_such_column FROM accounts_shop", [])
        )
    third = rows.fetch(rows.query(Shop, id=[mine, theirs]), rows.query(Shop, id=theirs))
    # then every answer is its own statement's, none an earlier one's
    assert [[s.pk for s in found] for found in first] == [[mine], [theirs], []]
    assert [[s.pk for s in found] for found in second] == [[theirs], [mine]]
    assert second[0][0].name == "改名" and alone is not None and alone.name == "改名"
    assert [sorted(s.pk for s in found) for found in third] == [sorted([mine, theirs]), [theirs]]


@pytest.mark.django_db(transaction=True)
def test_a_failing_write_in_a_pipeline_raises_djangos_error_and_keeps_nothing(world: Any) -> None:
    # given a shop code already taken
    taken = world.shop.code
    before = Shop.objects.count()
    # when one transaction writes a new shop and then the taken code, both in a pipeline
    with pytest.raises(IntegrityError), transaction.atomic(), rows.pipeline():
        rows.insert(Shop(code="rows-new", name="新店", created_at=T), returning=False)
        rows.insert(Shop(code=taken, name="重复", created_at=T), returning=False)
    # then neither shop is there, and the connection goes on working
    assert Shop.objects.count() == before
    assert not Shop.objects.filter(code="rows-new").exists()
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_write_outside_a_pipeline_raises_djangos_error_and_the_transaction_refuses_more(
    world: Any,
) -> None:
    # given a shop code already taken
    taken = world.shop.code
    # when one transaction writes the taken code, then tries to read on
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert(Shop(code=taken, name="重复", created_at=T))
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.insert(Shop(code=taken, name="重复", created_at=T), returning=False)
        # then inside the broken inner block's outer transaction a read still works once rolled back to it
        assert rows.get(Shop, code=taken) is not None
    # and once a failure broke a transaction (no savepoint to roll back to), its next statement is refused,
    # as Django's own cursor refuses it
    with pytest.raises(TransactionManagementError), transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            rows.insert(Shop(code=taken, name="重复", created_at=T))
        rows.get(Shop, code=taken)


@pytest.mark.django_db
def test_statements_of_rows_are_counted_while_queries_are_counted(world: Any) -> None:
    # given queries being captured (as the query-count tests do)
    with CaptureQueriesContext(connection) as seen:
        # when rows reads and writes
        shop = rows.get(Shop, id=world.shop.pk)
        assert shop is not None
        shop.name = "改名"
        rows.update(shop, ["name"])
        rows.read_together(("SELECT 1", []), ("SELECT 2", []))
    # then every statement is seen, in order
    sql = [q["sql"] for q in seen.captured_queries]
    assert len(sql) == 4
    assert "accounts_shop" in sql[0] and sql[1].startswith("UPDATE")
    # and without capture the same calls still read and write
    shop.name = "再改"
    rows.update(shop, ["name"])
    assert Shop.objects.get(pk=world.shop.pk).name == "再改"


@pytest.mark.django_db(transaction=True)
def test_rows_go_on_after_the_connection_is_closed_and_opened_again(world: Any) -> None:
    # given a statement run on the connection
    assert rows.get(Shop, id=world.shop.pk) is not None
    # when the connection closes (as at the end of a request) and the next statement opens a new one
    connection.close()
    found = rows.get(Shop, id=world.shop.pk)
    # then it answers on the new connection
    assert found is not None and found.code == world.shop.code


def test_each_thread_reads_on_its_own_connection() -> None:
    # given this thread's connection, as Django gives it
    mine = connections[DEFAULT_DB_ALIAS]
    theirs: list[Any] = []

    def other() -> None:
        theirs.append((db(), connections[DEFAULT_DB_ALIAS]))
        connections[DEFAULT_DB_ALIAS].close()

    # when rows looks the connection up here (twice) and in another thread
    first, again = db(), db()
    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    # then each thread has Django's own connection of that thread, never another thread's
    assert first is mine and again is mine
    ((other_rows, other_django),) = theirs
    assert other_rows is other_django and other_rows is not mine


def test_inside_a_running_event_loop_rows_uses_the_connection_django_gives_there() -> None:
    # given this thread's connection, remembered by rows
    mine = db()

    async def inside() -> tuple[Any, Any]:
        return db(), connections[DEFAULT_DB_ALIAS]

    # when rows looks it up while an event loop runs in this thread (as a browser driver's does in tests)
    found, djangos = asyncio.run(inside())
    # then it is the one Django gives there, not the one remembered outside the loop
    assert found is djangos and found is not mine
    assert db() is mine


@postgres_only
@pytest.mark.django_db
def test_a_statement_a_connection_runs_again_and_again_is_prepared_on_the_server(world: Any) -> None:
    # given a shop, read once: the statement is not prepared yet
    shop_id = world.shop.pk
    rows.get(Shop, id=shop_id)
    assert not _prepared_reading("accounts_shop")

    # when the same statement runs on the same connection as often as a busy command runs it
    for _ in range(6):
        assert rows.get(Shop, id=shop_id) is not None

    # then the server holds it prepared (parsed and planned once) and the answers stay right
    assert _prepared_reading("accounts_shop")
    assert rows.get(Shop, id=shop_id).code == world.shop.code  # type: ignore[union-attr]


def _prepared_reading(table: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        return [s for (s,) in cur.fetchall() if f"FROM {table}" in s or f'FROM "{table}"' in s]


@pytest.mark.django_db
def test_related_rows_answer_from_what_was_read_with_the_owner_else_read_them(
    world: Any, frozen: Any
) -> None:
    # given a case with one item, read once bare and once with its items attached
    from aftersales.cases.models import AfterSale, CaseItem

    case = _case(world)
    bare = rows.get(AfterSale, id=case.pk)
    with_items = rows.get(AfterSale, id=case.pk)
    assert bare is not None and with_items is not None
    rows.attach(with_items, "items", rows.select(CaseItem, case_id=case.pk))
    # when each is asked for its items
    with CaptureQueriesContext(connection) as attached_reads:
        from_attached = rows.related_rows(with_items, "items")
    with CaptureQueriesContext(connection) as bare_reads:
        from_bare = rows.related_rows(bare, "items")
    # then both give the case's item; only the bare case read it from the database
    assert [i.sku_code for i in from_attached] == [i.sku_code for i in from_bare] == ["PHONE-CASE"]
    assert len(attached_reads.captured_queries) == 0
    assert len(bare_reads.captured_queries) == 1
    # and what was read is kept with the case: asking again reads nothing
    with CaptureQueriesContext(connection) as again:
        assert [i.sku_code for i in rows.related_rows(bare, "items")] == ["PHONE-CASE"]
    assert len(again.captured_queries) == 0


@pytest.mark.django_db
def test_an_update_writes_the_fields_that_changed_since_the_row_was_read(world: Any, frozen: Any) -> None:
    from aftersales.cases.models import AfterSale

    # given a case read by a built statement
    case = rows.get(AfterSale, id=_case(world).pk)
    assert case is not None
    # when one plain field is changed, a JSON list is changed in place, and the case is updated
    case.description = "外箱破损，已拍照"
    case.evidence.append("https://img.example/破损2.jpg")
    with CaptureQueriesContext(connection) as seen:
        rows.update(case)
    # then both changes are stored, and the statement wrote those fields (and the other JSON field, which may
    # have changed in place too), not the columns of indexes that did not change
    (statement,) = [q["sql"] for q in seen.captured_queries if q["sql"].startswith("UPDATE")]
    written = statement.split(" SET ")[1].split(" WHERE ")[0]
    assert "description" in written and "evidence" in written and "return_address" in written
    assert "state" not in written and "buyer_id" not in written and "created_at" not in written
    stored = AfterSale.objects.get(pk=case.pk)
    assert stored.description == "外箱破损，已拍照"
    assert stored.evidence[-1] == "https://img.example/破损2.jpg"


@pytest.mark.django_db
def test_a_field_changed_but_not_written_is_written_by_the_next_update(world: Any, frozen: Any) -> None:
    from aftersales.cases.models import AfterSale

    # given a case read by a built statement, with two fields changed
    case = rows.get(AfterSale, id=_case(world).pk)
    assert case is not None
    case.description = "第一次修改"
    case.refund_fen = case.refund_fen - 1
    # when only one of them is written by name, then the case is updated
    rows.update(case, ["description"])
    assert AfterSale.objects.get(pk=case.pk).refund_fen == case.refund_fen + 1
    rows.update(case)
    # then the other change is stored too
    assert AfterSale.objects.get(pk=case.pk).refund_fen == case.refund_fen


@pytest.mark.django_db
def test_an_instance_the_orm_read_is_written_whole(world: Any, frozen: Any) -> None:
    from aftersales.cases.models import AfterSale

    # given a case read by the ORM, whose earlier values rows does not know
    case = AfterSale.objects.get(pk=_case(world).pk)
    AfterSale.objects.filter(pk=case.pk).update(description="别处改的")
    case.refund_fen = case.refund_fen - 1
    # when it is updated through rows
    rows.update(case)
    # then every field is written, as it was held
    stored = AfterSale.objects.get(pk=case.pk)
    assert stored.refund_fen == case.refund_fen and stored.description == case.description


@pytest.mark.django_db
def test_a_written_out_statement_takes_its_parameters_and_literal_percent_signs_as_djangos_cursor_does() -> (
    None
):
    # given a statement with parameters and a literal percent sign, run twice (the second from what was kept)
    sql = "SELECT %s, '100%%', %s"
    # when rows runs it, and Django's cursor runs it
    first, second = rows.rows_of(sql, [1, "折扣"]), rows.rows_of(sql, [2, "满减"])
    with connection.cursor() as cur:
        cur.execute(sql, [1, "折扣"])
        django_answer = cur.fetchall()
    # then both read the same: each parameter in its place, and one percent sign
    assert [tuple(r) for r in first] == [tuple(r) for r in django_answer] == [(1, "100%", "折扣")]
    assert [tuple(r) for r in second] == [(2, "100%", "满减")]


@pytest.mark.django_db
def test_json_the_fast_reader_would_change_is_read_as_the_orm_reads_it(world: Any, frozen: Any) -> None:
    # given a case whose JSON holds numbers past 64 bits (which orjson reads as floats) and a 20-digit
    # number in text
    from aftersales.cases.models import AfterSale

    case = _case(world)
    evidence = [2**70, -(2**64), "12345678901234567890", 1.5, {"n": 18446744073709551616}]
    AfterSale.objects.filter(pk=case.pk).update(evidence=evidence, return_address={"no": "0" * 30})
    orm = AfterSale.objects.get(pk=case.pk)
    # when it is read by a built statement
    built = rows.get(AfterSale, id=case.pk)
    # then every value is what the ORM reads: integers stay integers, exactly
    assert built is not None
    assert built.evidence == orm.evidence == evidence
    assert type(built.evidence[0]) is int and type(built.evidence[4]["n"]) is int
    assert built.return_address == orm.return_address == {"no": "0" * 30}


@pytest.mark.django_db
def test_rows_attached_to_each_of_many_cases_stay_their_own(world: Any, frozen: Any) -> None:
    # given two cases of the same buyer, each with its own item, read together with their items
    from aftersales.cases.models import AfterSale, CaseItem
    from aftersales.cases.queries import read_cases

    first, second = _case(world), _case(world, sku="CHARGER")
    cases = read_cases([first.pk, second.pk], world.platform)
    # when each one's items are asked for, counted and filtered
    with CaptureQueriesContext(connection) as reads:
        seen = [[i.sku_code for i in case.items.all()] for case in cases]
        counts = [case.items.count() for case in cases]
    filtered = cases[1].items.filter(sku_code="PHONE-CASE")
    # then each case answers with its own rows, without reading them again, and a filter is the relation's
    # own query (the second case has no PHONE-CASE)
    assert seen == [["PHONE-CASE"], ["CHARGER"]] and counts == [1, 1]
    assert len(reads.captured_queries) == 0
    assert list(filtered) == []
    assert list(cases[0].items.filter(sku_code="PHONE-CASE")) == list(CaseItem.objects.filter(case=first))
    assert cases[0].items.all()._hints is not cases[1].items.all()._hints
    assert cases[0].shop.pk == AfterSale.objects.get(pk=first.pk).shop_id


@pytest.mark.django_db
def test_many_rows_go_in_one_logged_statement_and_read_back_as_written(world: Any, frozen: Any) -> None:
    # given an order's conversation, and cards with text the driver must escape (tab, newline, backslash,
    # quotes), JSON, times and an empty case
    from aftersales.chat.models import Conversation, Message
    from aftersales.core.rows.bulk import Insert

    buyer, _ = world.buyer()
    order = make_order(world, buyer, signed_at=T - timedelta(days=1))
    chat = Conversation.objects.create(shop=world.shop, order=order, created_at=T)
    insert = Insert(Message, ["text", "at", "card_data"], connection, same=["shop_id", "conversation_id"])
    texts = ["a\tb", "line\nnext", "back\\slash", "引号 \"'", "", "%s %(x)s"]

    def write(n: int) -> int:
        rows_ = [
            (texts[i % len(texts)], T + timedelta(seconds=i), {"n": i, "s": texts[i % len(texts)]})
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as seen, transaction.atomic(), connection.cursor() as cur:
            insert.run(cur, rows_, shop_id=world.shop.pk, conversation_id=chat.pk)
        return len([q for q in seen.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])

    # when 3 rows and then 300 are written
    # then each run is one statement in Django's log of queries (COPY on PostgreSQL, executemany on SQLite)
    assert write(3) == write(300) == 1
    # and the ORM reads back each row as written, the fields left out at their defaults
    found = list(Message.objects.filter(conversation=chat).order_by("id"))
    assert len(found) == 303
    for i, message in enumerate(found[3:]):
        assert (message.text, message.at, message.card_data) == (
            texts[i % len(texts)],
            T + timedelta(seconds=i),
            {"n": i, "s": texts[i % len(texts)]},
        )
        assert (message.case_id, message.card_type, message.sender_role) == (None, "", "")
