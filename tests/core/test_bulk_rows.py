"""Rows written and read back as plain tuples: the same stored values as the ORM's, in few statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection

from aftersales.accounts.models import Buyer
from aftersales.core.rows.bulk import Insert, select_in, stamp_converter
from tests.factories import sh

STAMPS = [
    sh(2026, 11, 1, 10),
    datetime(2026, 11, 1, 23, 59, 59, 123000, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=45))),
    datetime(26, 3, 1, 12, tzinfo=UTC),
    None,
]


@pytest.mark.django_db
def test_times_are_stored_as_the_orm_stores_them() -> None:
    convert = stamp_converter(connection)
    expected = [connection.ops.adapt_datetimefield_value(v) for v in STAMPS]
    assert (STAMPS if convert is None else list(convert(STAMPS))) == expected


@pytest.mark.django_db
def test_a_time_without_its_zone_is_refused() -> None:
    convert = stamp_converter(connection)
    if convert is None:
        pytest.skip("the driver takes datetimes as they are")
    with pytest.raises(ValueError, match="time zone"):
        convert([datetime(2026, 11, 1, 10)])  # noqa: DTZ001 (the naive time is what is tested)


@pytest.mark.django_db
def test_values_the_same_for_every_row_must_all_be_given() -> None:
    insert = Insert(Buyer, ("external_id",), connection, same=("created_at",))
    with connection.cursor() as cursor, pytest.raises(TypeError, match="created_at"):
        insert.run(cursor, [("b-1",)], name="x")


@pytest.mark.django_db
def test_rows_past_the_limit_on_parameters_are_written_and_read_back_whole() -> None:
    # given more buyers than one statement may name
    many = (connection.features.max_query_params or 2000) + 5
    names = [f"bulk-{i}" for i in range(many)]
    insert = Insert(Buyer, ("external_id",), connection, same=("created_at",))
    # when they are written, then read back by name
    with connection.cursor() as cursor:
        written = insert.run(cursor, [(n,) for n in names], created_at=sh(2026, 11, 1, 10))
        found: dict[str, Any] = dict(select_in(cursor, Buyer, ("external_id", "id"), "external_id", names))
    # then every one is there once, with its defaults, as the ORM reads it
    assert written == many
    assert found.keys() == set(names)
    buyer = Buyer.objects.get(pk=found["bulk-0"])
    assert (buyer.name, buyer.user_id, buyer.created_at) == ("", None, sh(2026, 11, 1, 10))
