"""The backend itself: a transaction's pending ``BEGIN`` and held pipeline (``Trips``), the cursor that honours
them before each statement, and Django's wrapper that starts, commits and rolls back through them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from functools import cache
from typing import Any

import psycopg
from django.db.backends.postgresql import base

_TRIPS = "_aftersales_trips"


class Trips:
    """What one psycopg connection has not sent yet: the ``BEGIN`` of the transaction Django started
    (``begin_due``), and the pipeline of its writes left open (``held``); and how many blocks of the rows
    layer are running now (``riding``: while one runs, its own reads wait in the pipeline as they always did,
    and a statement of another kind does not end it). Only ``hold`` and ``release`` count the blocks: what is
    held may go out in the middle of one (before a ``COPY``), and the block still ends once."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.begin_due = False
        self.held: AbstractContextManager[Any] | None = None
        self.riding = 0
        self._carrier: psycopg.Cursor[Any] | None = None

    def carrier(self) -> psycopg.Cursor[Any]:
        """A plain cursor of psycopg's for ``BEGIN`` and ``COMMIT``, whose answers nobody reads."""
        if self._carrier is None:
            self._carrier = psycopg.Cursor(self.conn)
        return self._carrier

    def in_pipeline(self) -> bool:
        return bool(self.conn.pgconn.pipeline_status)

    def queue_begin(self) -> None:
        """Send the due ``BEGIN`` ahead of whatever follows in the pipeline (or now, outside one)."""
        self.begin_due = False
        self.carrier().execute(_begin_command(self.conn), prepare=False)

    def before(self, run: Callable[[], Any], *, rides: bool) -> Any:
        """Run one statement (``run``) after what must precede it. A statement of the rows layer ``rides`` the
        held pipeline: it is queued behind what is held, and a read among them has its answer when it asks
        for it, with everything before it. Any other statement (the ORM's, a savepoint) first sends what is
        held and reads its answers, then runs alone, as it always did. The due ``BEGIN`` goes with the
        statement, in one round trip; for a statement of the rows layer the pipeline they open stays held."""
        if self.held is not None and not rides and not self.riding:
            self.send_held()
        if not self.begin_due:
            return run()
        if rides and not self.in_pipeline():
            self._enter()
        if self.in_pipeline():
            self.queue_begin()
            return run()
        with self.conn.pipeline():
            self.queue_begin()
            return run()

    def send_now(self) -> None:
        """Everything not sent yet goes now, and its answers are read: before what cannot travel in a
        pipeline (``COPY``, a named cursor, many statements at once)."""
        if self.held is not None:
            self.send_held()
        if self.begin_due:
            self.queue_begin()

    def hold(self) -> None:
        """A block of the rows layer's statements begins: they travel in the held pipeline (entered now
        when there is none), which stays open when the block ends."""
        if self.held is None:
            self._enter()
        self.riding += 1

    def release(self) -> None:
        """A block that ``hold`` began has ended."""
        self.riding -= 1

    def _enter(self) -> None:
        pipeline = self.conn.pipeline()
        pipeline.__enter__()
        self.held = pipeline

    def send_held(self, last: bytes | None = None) -> None:
        """Send what is held, ``last`` (``COMMIT``) after it, leave pipeline mode and read every answer: the
        first error among them is raised here."""
        held, self.held = self.held, None
        assert held is not None
        try:
            if last is not None:
                self.carrier().execute(last, prepare=False)
        except BaseException as exc:
            held.__exit__(type(exc), exc, exc.__traceback__)
            raise
        held.__exit__(None, None, None)

    def drop_held(self) -> None:
        """Leave pipeline mode whatever the held statements answered (the transaction is being rolled back)."""
        if self.held is None:
            return
        held, self.held = self.held, None
        with suppress(psycopg.Error):
            held.__exit__(None, None, None)


def trips_of(conn: psycopg.Connection[Any]) -> Trips:
    found: Trips | None = getattr(conn, _TRIPS, None)
    if found is None:
        found = Trips(conn)
        setattr(conn, _TRIPS, found)
    return found


def _begin_command(conn: psycopg.Connection[Any]) -> bytes:
    """``BEGIN`` as psycopg would send it for this connection's settings."""
    parts = ["BEGIN"]
    if conn.isolation_level is not None:
        parts.append("ISOLATION LEVEL " + psycopg.IsolationLevel(conn.isolation_level).name.replace("_", " "))
    if conn.read_only is not None:
        parts.append("READ ONLY" if conn.read_only else "READ WRITE")
    if conn.deferrable is not None:
        parts.append("DEFERRABLE" if conn.deferrable else "NOT DEFERRABLE")
    return " ".join(parts).encode()


class _Honouring:
    """Mixed into Django's cursor class for psycopg: each statement first lets the connection's trips send what
    must precede it (``Trips.before``). ``execute_riding`` is the rows layer's: its statements ride a held
    pipeline."""

    connection: psycopg.Connection[Any]

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        return self._honoured(False, query, params, kwargs)

    def execute_riding(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        return self._honoured(True, query, params, kwargs)

    def _honoured(self, rides: bool, query: Any, params: Any, kwargs: dict[str, Any]) -> Any:
        trips: Trips | None = getattr(self.connection, _TRIPS, None)
        if trips is None or not (trips.begin_due or trips.held is not None):
            return super().execute(query, params, **kwargs)  # type: ignore[misc]
        return trips.before(lambda: super(_Honouring, self).execute(query, params, **kwargs), rides=rides)  # type: ignore[misc]

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> Any:
        _send_now(self.connection)
        return super().executemany(query, params_seq, **kwargs)  # type: ignore[misc]

    def copy(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        _send_now(self.connection)
        return super().copy(statement, params, **kwargs)  # type: ignore[misc]

    def stream(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        _send_now(self.connection)
        return super().stream(query, params, **kwargs)  # type: ignore[misc]


def _send_now(conn: psycopg.Connection[Any]) -> None:
    trips: Trips | None = getattr(conn, _TRIPS, None)
    if trips is not None:
        trips.send_now()


@cache
def _honouring(cursor_class: type) -> type:
    return type(cursor_class.__name__, (_Honouring, cursor_class), {"__module__": __name__})


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        params["cursor_factory"] = _honouring(params["cursor_factory"])
        return params

    def trips(self) -> Trips:
        assert self.connection is not None
        return trips_of(self.connection)

    def holds_pipelines(self) -> bool:
        """True when a block of the rows layer's statements may leave its pipeline open for the commit: inside
        a transaction that Django started (psycopg in autocommit mode, the ``BEGIN`` this backend's own)."""
        return self.in_atomic_block and self.connection is not None and self.connection.autocommit

    def _start_transaction_under_autocommit(self) -> None:
        # Called by ``atomic()`` instead of turning psycopg's autocommit off: the BEGIN waits for a statement.
        self.trips().begin_due = True

    def create_cursor(self, name: str | None = None) -> Any:
        if name is not None and self.connection is not None:
            # A named (server-side) cursor is declared outside a pipeline, inside the transaction. (Django
            # declares it ``WITH HOLD`` here, psycopg being in autocommit mode: it still works as one.)
            self.trips().send_now()
        return super().create_cursor(name)

    def _commit(self) -> None:
        if self.connection is not None:
            trips = self.trips()
            if trips.begin_due:
                trips.begin_due = False  # nothing was sent: nothing to commit
                return
            if trips.held is not None:
                with self.wrap_database_errors:
                    trips.send_held(last=b"COMMIT")
                return
        super()._commit()  # type: ignore[misc]  # private, not in the stubs

    def _rollback(self) -> None:
        if self.connection is not None:
            trips = self.trips()
            trips.drop_held()
            if trips.begin_due:
                trips.begin_due = False  # nothing was sent: nothing to roll back
                return
        super()._rollback()  # type: ignore[misc]

    def _close(self) -> None:
        if self.connection is not None:
            trips = self.trips()
            trips.begin_due = False
            trips.drop_held()
        super()._close()  # type: ignore[misc]
