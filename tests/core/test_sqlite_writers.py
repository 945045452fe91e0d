"""SQLite's writers queued by the kernel (``core.sqlite_writers``): a connection in a write transaction holds
the lock of the file beside the database and lets it go when the transaction ends, however it ends; a second
writer waits for it there and then writes after the first; without the file, writers fall back to SQLite's
own waiting."""

import fcntl
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from aftersales.core.sqlite_writers.base import DatabaseWrapper, utc_datetime


def _wrapper(path: Path) -> DatabaseWrapper:
    """A connection to the SQLite file ``path`` with the settings the project gives SQLite."""
    settings = dict(connection.settings_dict)
    settings.update(
        ENGINE="aftersales.core.sqlite_writers",
        NAME=str(path),
        OPTIONS={"transaction_mode": "IMMEDIATE", "timeout": 30,
                 "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    )  # fmt: skip
    return DatabaseWrapper(settings, alias=f"writers-{path.name}")


@pytest.fixture(autouse=True)
def _own_files(django_db_blocker: Any) -> Any:
    """These tests open SQLite files of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite3"
    db = _wrapper(path)
    with db.cursor() as cur:
        cur.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    db.close()
    return path


def _begin(db: DatabaseWrapper) -> None:
    """What ``transaction.atomic()`` does first on this connection."""
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(db: DatabaseWrapper, how: str) -> None:
    db.commit() if how == "commit" else db.rollback()
    db.set_autocommit(True)


def _writers_wait(path: Path) -> bool:
    """True when a writer would have to wait for the lock beside ``path`` now."""
    fd = os.open(f"{path}.writers", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@pytest.mark.parametrize("how", ["commit", "rollback"])
def test_a_write_transaction_holds_the_writers_lock_until_it_ends(database: Path, how: str) -> None:
    # given a connection, and no writer yet
    db = _wrapper(database)
    db.ensure_connection()
    assert not _writers_wait(database)
    # when it begins a transaction and writes
    _begin(db)
    with db.cursor() as cur:
        cur.execute("INSERT INTO note (text) VALUES ('first')")
    # then other writers wait, until the transaction ends (committed or rolled back)
    assert _writers_wait(database)
    _end(db, how)
    assert not _writers_wait(database)
    db.close()


def test_a_connection_closed_in_its_transaction_lets_the_writers_in(database: Path) -> None:
    # given a connection in a write transaction
    db = _wrapper(database)
    _begin(db)
    assert _writers_wait(database)
    # when it is closed before the transaction ends (its process is shutting down)
    db.close()
    # then the next writer may go
    assert not _writers_wait(database)


def test_a_second_writer_waits_for_the_first_and_writes_after_it(database: Path) -> None:
    # given a first writer in its transaction
    first = _wrapper(database)
    _begin(first)
    with first.cursor() as cur:
        cur.execute("INSERT INTO note (text) VALUES ('first')")
    began = threading.Event()
    seen: list[Any] = []

    def write_second() -> None:
        second = _wrapper(database)  # a connection belongs to the thread that made it
        _begin(second)  # waits here while the first writes
        began.set()
        with second.cursor() as cur:
            cur.execute("SELECT text FROM note ORDER BY id")
            seen.extend(row[0] for row in cur.fetchall())
            cur.execute("INSERT INTO note (text) VALUES ('second')")
        _end(second, "commit")
        second.close()

    # when a second writer starts meanwhile
    thread = threading.Thread(target=write_second)
    thread.start()
    # then it has not begun while the first is in its transaction
    assert not began.wait(0.3)
    # and once the first commits it begins, sees the first's row and adds its own after it
    _end(first, "commit")
    thread.join(timeout=30)
    assert began.is_set()
    assert seen == ["first"]
    with first.cursor() as cur:
        cur.execute("SELECT text FROM note ORDER BY id")
        assert [row[0] for row in cur.fetchall()] == ["first", "second"]
    first.close()


def test_without_the_file_writers_still_write(database: Path) -> None:
    # given a database whose lock file cannot be made (its name is taken by a directory)
    Path(f"{database}.writers").unlink(missing_ok=True)
    Path(f"{database}.writers").mkdir()
    db = _wrapper(database)
    # when a transaction writes
    _begin(db)
    with db.cursor() as cur:
        cur.execute("INSERT INTO note (text) VALUES ('kept')")
    _end(db, "commit")
    # then the row is written, SQLite's own lock having kept the writers apart
    with db.cursor() as cur:
        cur.execute("SELECT text FROM note")
        assert [row[0] for row in cur.fetchall()] == ["kept"]
    db.close()


def test_an_in_memory_database_makes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a connection to an in-memory database, from a working directory of its own
    monkeypatch.chdir(tmp_path)
    db = _wrapper(Path(":memory:"))
    # when it writes in a transaction
    db.ensure_connection()
    _begin(db)
    with db.cursor() as cur:
        cur.execute("CREATE TABLE t (x INTEGER)")
    _end(db, "commit")
    # then no lock file was made anywhere near it
    assert list(tmp_path.iterdir()) == []
    db.close()


# --- stored times read as aware ones ---------------------------------------------------------------------


def test_the_driver_reads_a_stored_time_as_an_aware_utc_time(database: Path) -> None:
    # given an SQLite file with times stored as Django stores them (UTC text), with and without a fraction,
    # one written with an offset of its own, and a NULL
    db = _wrapper(database)
    with db.cursor() as cur:
        cur.execute("CREATE TABLE stamps (k integer, at datetime)")
        cur.execute(
            "INSERT INTO stamps VALUES (1, '2026-11-27 02:53:11.780254'), (2, '2026-11-27 02:53:11'),"
            " (3, '2026-11-27 10:53:11+08:00'), (4, NULL)"
        )
        # when they are read back through the driver
        cur.execute("SELECT at FROM stamps ORDER BY k")
        read = [row[0] for row in cur.fetchall()]
    db.close()
    # then each is the aware moment it names, and the NULL stays None
    assert read[0] == datetime(2026, 11, 27, 2, 53, 11, 780254, tzinfo=UTC)
    assert read[1] == datetime(2026, 11, 27, 2, 53, 11, tzinfo=UTC) and read[1].utcoffset() == timedelta(0)
    assert read[2] == datetime(2026, 11, 27, 2, 53, 11, tzinfo=UTC)
    assert read[2].utcoffset() == timedelta(hours=8)
    assert read[3] is None


def test_a_text_no_parser_reads_is_none_as_with_djangos_converter() -> None:
    assert utc_datetime(b"not a time") is None
    assert utc_datetime(b"2026-11-27T02:53:11Z") == datetime(2026, 11, 27, 2, 53, 11, tzinfo=UTC)


def test_a_database_with_a_time_zone_of_its_own_is_read_naive_as_django_reads_it(tmp_path: Path) -> None:
    # given a database whose naive times are in Shanghai's time, not UTC
    settings = dict(_wrapper(tmp_path / "shanghai.sqlite3").settings_dict, TIME_ZONE="Asia/Shanghai")
    shanghai = DatabaseWrapper(settings, alias="writers-shanghai")
    # then its times are not taken for UTC ones, while the project's database's are
    assert not shanghai.reads_times_aware
    assert _wrapper(tmp_path / "utc.sqlite3").reads_times_aware
