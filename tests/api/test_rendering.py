"""The API's JSON writer: orjson for the JSON types, ninja's encoder for everything else, so a body reads as
it did when the standard library wrote it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from django.utils.translation import gettext_lazy, override
from ninja import Schema
from ninja.responses import NinjaJSONEncoder

from aftersales.api.rendering import CONTENT_TYPE, dumps, shaped


class _Item(Schema):
    sku: str
    qty: int


SHANGHAI = timezone(timedelta(hours=8))

VALUES: list[Any] = [
    {"id": 7, "fen": 1990, "ok": True, "none": None, "list": [1, "二", {"三": 3}]},
    datetime(2026, 11, 18, 10, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 11, 18, 10, 0, 0, tzinfo=SHANGHAI),
    date(2026, 11, 18),
    UUID(int=42),
    Decimal("19.90"),
    _Item(sku="PHONE-CASE", qty=2),
    {1: "int key", "nested": [datetime(2026, 1, 1, tzinfo=UTC)]},
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_reads_as_the_standard_library_wrote_it(value: Any) -> None:
    # given a value a view may answer with
    # when the API writes it
    written = dumps(value)
    # then it reads back as what ninja's encoder made of it through the standard library
    assert json.loads(written) == json.loads(json.dumps(value, cls=NinjaJSONEncoder))


def test_times_keep_django_s_form() -> None:
    # given a time with microseconds in UTC (orjson alone would write all six digits and "+00:00")
    at = datetime(2026, 11, 18, 10, 0, 0, 123456, tzinfo=UTC)
    # when written
    # then it is Django's form: milliseconds and "Z"
    assert dumps({"at": at}) == b'{"at":"2026-11-18T10:00:00.123Z"}'


def test_lazy_text_is_written_in_the_active_language() -> None:
    # given a name translated lazily
    what = gettext_lazy("after-sales case")
    # when written while Chinese is active
    with override("zh-hans"):
        written = dumps({"what": what})
    # then it is the Chinese text, as UTF-8 characters, not escapes
    assert written == '{"what":"售后单"}'.encode()


def test_what_cannot_be_written_is_refused() -> None:
    # given a value no encoder knows
    # when written
    # then the error names it, as the standard library's does
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_shaped_answers_json_with_its_status() -> None:
    # given a body a view built
    # when shaped with a status
    response = shaped({"订单": "E1"}, status=201)
    # then it is that JSON, UTF-8, with the status and the API's content type
    assert response.status_code == 201
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.content == '{"订单":"E1"}'.encode()
