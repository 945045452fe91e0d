"""PostgreSQL's backend with ``BEGIN`` and ``COMMIT`` travelling with the statements (``core.postgres_trips``):
a command waits on the network twice where Django's backend waits four times; nothing of a transaction is
stored before its commit, a failed held write fails the commit and leaves nothing, a rollback drops what is
held; statements of other kinds (the ORM, savepoints, named cursors) see everything before them."""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from aftersales.accounts.models import Buyer
from aftersales.cases import services as cases
from aftersales.cases.models import AfterSale
from aftersales.core import rows
from aftersales.core.postgres_trips.base import DatabaseWrapper, _begin_command
from aftersales.core.rows import tables
from tests.conftest import postgres_only
from tests.factories import World, make_sku
from tests.timers.test_worker import _application

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

AT = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)


class Relay:
    """A TCP relay between the clients of a test and PostgreSQL, counting round trips: the times a client
    speaks after the server spoke (a client that sends its statements in several writes before any answer
    is one trip)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.trips = 0
        self._last = "server"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def reset(self) -> None:
        self.trips, self._last = 0, "server"

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.listener.close()

    def _serve(self) -> None:
        picker = selectors.DefaultSelector()
        picker.register(self.listener, selectors.EVENT_READ, None)
        while not self._stop.is_set():
            for key, _ in picker.select(0.05):
                if key.data is None:
                    client, _ = self.listener.accept()
                    server = socket.create_connection(self.target)
                    picker.register(client, selectors.EVENT_READ, ("client", server))
                    picker.register(server, selectors.EVENT_READ, ("server", client))
                    continue
                side, other = key.data
                if key.fileobj.fileno() == -1:  # type: ignore[union-attr]  # its other end closed it just now
                    continue
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    for end in (key.fileobj, other):
                        picker.unregister(end)
                        end.close()  # type: ignore[union-attr]
                    continue
                if side == "client" and self._last == "server":
                    self.trips += 1
                self._last = side
                other.sendall(data)
        for key in list(picker.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]


@pytest.fixture
def relay() -> Iterator[Relay]:
    settings = connection.settings_dict
    found = Relay(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    yield found
    found.close()


def _through(relay: Relay, work: Callable[[], Any], engine: str = "aftersales.core.postgres_trips") -> int:
    """Run ``work`` in a thread of its own whose connection (of ``engine``) goes through the relay; the round
    trips it made once connected."""
    trips: list[int] = []
    failed: list[BaseException] = []

    def thread() -> None:
        settings = dict(connection.settings_dict, ENGINE=engine, HOST="127.0.0.1", PORT=str(relay.port),
                        CONN_MAX_AGE=0)  # fmt: skip
        if engine == "aftersales.core.postgres_trips":
            wrapper: BaseDatabaseWrapper = DatabaseWrapper(settings, "default")
        else:
            from django.db.backends.postgresql.base import DatabaseWrapper as Plain

            wrapper = Plain(settings, "default")
        connections["default"] = wrapper
        try:
            wrapper.ensure_connection()
            relay.reset()
            work()
            trips.append(relay.trips)
        except BaseException as exc:
            failed.append(exc)
        finally:
            wrapper.close()
            tables._this_thread.wrapper = None

    runner = threading.Thread(target=thread)
    runner.start()
    runner.join()
    if failed:
        raise failed[0]
    return trips[0]


def _other() -> BaseDatabaseWrapper:
    """A second connection to the test database, to see what others see."""
    return connections.create_connection("default")


def _stored(external_id: str) -> bool:
    other = _other()
    try:
        with other.cursor() as cur:
            cur.execute("SELECT count(*) FROM accounts_buyer WHERE external_id = %s", [external_id])
            return bool(cur.fetchone()[0])
    finally:
        other.close()


def _buyer(external_id: str) -> Buyer:
    return Buyer(external_id=external_id, name="", created_at=AT)


def test_a_command_waits_on_the_network_twice_where_djangos_backend_waits_four_times(
    world: World, frozen: Any, relay: Relay
) -> None:
    # given two return-and-refund cases waiting on the merchant
    make_sku(world, "PHONE-CASE")
    first, second = _application(world, "return_refund"), _application(world, "return_refund")

    # when the merchant agrees to one through this backend and to the other through Django's own
    ours = _through(relay, lambda: cases.agree(first.pk, actor=world.merchant))
    django = _through(
        relay, lambda: cases.agree(second.pk, actor=world.merchant), engine="django.db.backends.postgresql"
    )

    # then ours read the case with its BEGIN and sent the writes with the COMMIT, Django's sent BEGIN, the
    # read, the writes and COMMIT each on its own; both cases moved on
    assert (ours, django) == (2, 4)
    assert {c.state for c in AfterSale.objects.filter(pk__in=[first.pk, second.pk])} == {"awaiting_return"}


def test_a_transaction_that_runs_no_statement_sends_nothing(relay: Relay) -> None:
    def nothing() -> None:
        with transaction.atomic():
            pass
        assert connections["default"].connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE

    assert _through(relay, nothing) == 0


def test_the_begin_goes_with_the_first_statement_of_the_orm(relay: Relay) -> None:
    seen: list[Any] = []

    def count_then_commit() -> None:
        with transaction.atomic():
            seen.append(Buyer.objects.count())
            seen.append(connections["default"].connection.info.transaction_status)

    # one trip for BEGIN and the count, one for the COMMIT; the count ran inside the transaction
    assert _through(relay, count_then_commit) == 2
    assert seen == [0, psycopg.pq.TransactionStatus.INTRANS]


def test_held_writes_are_stored_at_the_commit_and_not_before() -> None:
    # given a transaction whose block of writes has ended
    with transaction.atomic():
        with rows.pipeline():
            rows.insert(_buyer("held-1"), returning=False)
        # then the write is held, unseen by others
        assert connection.trips().held is not None
        assert not _stored("held-1")
    # and stored once the transaction committed, the pipeline gone
    assert _stored("held-1")
    assert connection.trips().held is None
    assert not connection.connection.pgconn.pipeline_status


def test_a_held_write_that_fails_fails_the_commit_and_leaves_nothing() -> None:
    # given a buyer stored already
    rows.insert(_buyer("taken"))

    # when a transaction writes another buyer, then one with the taken id, both held
    with pytest.raises(IntegrityError), transaction.atomic(), rows.pipeline():
        rows.insert(_buyer("fresh"), returning=False)
        rows.insert(_buyer("taken"), returning=False)

    # then the commit failed with the constraint's error and nothing of the transaction is stored
    assert not _stored("fresh")
    # and the connection goes on
    assert Buyer.objects.filter(external_id="taken").count() == 1
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_rollback_drops_what_is_held() -> None:
    with transaction.atomic():
        with rows.pipeline():
            rows.insert(_buyer("dropped"), returning=False)
        transaction.set_rollback(True)
    assert not _stored("dropped")
    assert not connection.connection.pgconn.pipeline_status
    assert Buyer.objects.count() == 0


def test_an_orm_statement_after_held_writes_sees_them_and_counts_its_rows() -> None:
    with transaction.atomic():
        with rows.pipeline():
            rows.insert(_buyer("renamed"), returning=False)
        # the ORM's update reads how many rows it changed: the held insert went first, then the update alone
        changed = Buyer.objects.filter(external_id="renamed").update(name="张三")
        assert connection.trips().held is None
    assert changed == 1
    assert Buyer.objects.get(external_id="renamed").name == "张三"


def test_a_read_of_the_rows_layer_rides_the_held_writes_in_one_trip(relay: Relay) -> None:
    found: list[Any] = []

    def write_then_read() -> None:
        with transaction.atomic():
            with rows.pipeline():
                rows.insert(_buyer("ridden"), returning=False)
            found.append(rows.get(Buyer, external_id="ridden"))

    # BEGIN, the write and the read in one trip, COMMIT in another; the read saw the write
    assert _through(relay, write_then_read) == 2
    assert found[0] is not None and found[0].external_id == "ridden"


def test_a_savepoint_first_goes_after_the_begin() -> None:
    # given a transaction whose first statement is a savepoint's, with a write inside it
    with transaction.atomic():
        with transaction.atomic():
            Buyer.objects.create(external_id="inner", created_at=AT)
        assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        assert not _stored("inner")
        transaction.set_rollback(True)
    # then the outer rollback undid it: the savepoint was inside the transaction
    assert not _stored("inner")


def test_a_named_cursor_sees_the_held_writes() -> None:
    with transaction.atomic():
        with rows.pipeline():
            rows.insert(_buyer("iterated"), returning=False)
        names = [b.external_id for b in Buyer.objects.order_by("id").iterator(chunk_size=10)]
    assert names == ["iterated"]


def test_the_begin_asks_for_the_isolation_level_the_settings_name() -> None:
    # given a connection whose settings ask for serializable transactions
    settings = dict(connection.settings_dict)
    settings["OPTIONS"] = dict(settings["OPTIONS"], isolation_level=psycopg.IsolationLevel.SERIALIZABLE)
    other = DatabaseWrapper(settings, "serializable")
    try:
        other.ensure_connection()
        assert _begin_command(other.connection) == b"BEGIN ISOLATION LEVEL SERIALIZABLE"
        # when a transaction runs a statement
        other.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        with other.cursor() as cur:
            cur.execute("SHOW transaction_isolation")
            level = cur.fetchone()[0]
        other.commit()
        other.set_autocommit(True)
    finally:
        other.close()
    # then it ran at that level
    assert level == "serializable"


def test_what_is_held_going_out_inside_a_block_does_not_end_the_block_twice() -> None:
    # given a transaction whose block of writes sends what is held before a statement that cannot ride (many
    # rows at once), then a second block
    with transaction.atomic():
        with rows.pipeline():
            rows.insert(_buyer("first"), returning=False)
            with connection.cursor() as cur:
                cur.executemany(
                    "INSERT INTO accounts_buyer (external_id, name, created_at) VALUES (%s, '', %s)",
                    [("many-1", AT), ("many-2", AT)],
                )
        with rows.pipeline():
            rows.insert(_buyer("second"), returning=False)
        # when the ORM then updates the row the second block wrote
        changed = Buyer.objects.filter(external_id="second").update(name="李四")
    # then the second block's write went first and the update counted it: both blocks ended once each
    assert changed == 1
    assert sorted(Buyer.objects.values_list("external_id", flat=True)) == [
        "first",
        "many-1",
        "many-2",
        "second",
    ]
