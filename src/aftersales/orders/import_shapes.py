"""The shape of one line of an import file and the checks each line must pass on its own.

A line is validated straight from its JSON text into plain dicts (a ``TypedDict``): the order's parts use the
shapes an order created over HTTP uses, and its facts go through the same ``check_order_facts``."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from django.utils.translation import gettext as _
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator
from pydantic_core import ErrorDetails
from typing_extensions import TypedDict

from aftersales.cases import transitions as t
from aftersales.cases.reasons import REASONS
from aftersales.core.bounds import Fen, Instant, Qty
from aftersales.core.errors import ValidationFailed
from aftersales.core.field_errors import field_message
from aftersales.orders.services import check_order_facts
from aftersales.orders.shapes import OrderLine, Receiver


class BadLine(ValidationFailed):
    """A bad line: its number and what is wrong with it."""

    def detail(self) -> str:
        return _("line %(line)s: %(message)s") % {
            "line": self.params["line"],
            "message": self.params["message"],
        }


class CaseItemShape(BaseModel):
    sku: str
    qty: Qty


class CaseShape(BaseModel):
    """A past after-sales case of the order, imported in the state it had."""

    type: Literal["refund_only", "return_refund", "exchange", "reship"]
    state: str
    close_reason: str = ""
    reason_code: str
    items: list[CaseItemShape] = Field(min_length=1)
    refund_fen: Fen = 0
    created_at: Instant
    updated_at: Instant | None = None
    deadline_at: Instant | None = None

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value not in t.STATES:
            raise ValueError(_("unknown state '%(state)s'") % {"state": value})
        return value

    @field_validator("reason_code")
    @classmethod
    def _known_reason(cls, value: str) -> str:
        if value not in REASONS:
            raise ValueError(_("unknown reason_code '%(reason_code)s'") % {"reason_code": value})
        return value


class Line(TypedDict):
    """One order; keys marked ``NotRequired`` default to 0, ``None``, ``False`` or no cases."""

    shop: str
    order_sn: Annotated[str, Field(min_length=1, max_length=64)]
    buyer_id: Annotated[str, Field(min_length=1, max_length=64)]
    receiver: Receiver
    items: Annotated[list[OrderLine], Field(min_length=1)]
    freight_fen: NotRequired[Fen]
    paid_fen: Fen
    paid_at: Instant
    shipped_at: NotRequired[Instant | None]
    carrier: NotRequired[str | None]
    tracking_no: NotRequired[str | None]
    signed_at: NotRequired[Instant | None]
    return_freight_insured: NotRequired[bool]
    cases: NotRequired[list[CaseShape]]


_LINE = TypeAdapter(Line)


def parse_line(number: int, raw: str | bytes) -> Line:
    """The line validated, or ``BadLine`` naming its number and the first thing wrong with it."""
    try:
        line = _LINE.validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadLine(line=number, message=f"{where}: {_message(first)}") from exc
    try:
        # The same facts an order created over HTTP must satisfy.
        check_order_facts(
            line["items"], freight_fen=line.get("freight_fen", 0), paid_fen=line["paid_fen"], paid_at=line["paid_at"],
            shipped_at=line.get("shipped_at"), signed_at=line.get("signed_at"),
        )  # fmt: skip
    except ValidationFailed as exc:
        raise BadLine(line=number, message=exc.detail()) from exc
    cases = line.get("cases")
    if cases:
        _check_cases(number, line, cases)
    return line


def _message(error: ErrorDetails) -> str:
    """The message of a check of this module that refused the value, or the schema's check in words."""
    refused = error.get("ctx", {}).get("error")
    if error["type"] == "value_error" and isinstance(refused, ValueError):
        return str(refused)
    return field_message(dict(error))


def _check_cases(number: int, line: Line, cases: list[CaseShape]) -> None:
    stamps = [x for c in cases for x in (c.created_at, c.updated_at, c.deadline_at)]
    if any(stamp is not None and stamp.tzinfo is None for stamp in stamps):
        raise BadLine(line=number, message=_("times need an offset, e.g. +08:00"))
    ordered = {i.sku: i.qty for i in line["items"]}
    for case in cases:
        if any(ordered.get(ci.sku, 0) < ci.qty for ci in case.items):
            raise BadLine(line=number, message=_("a case names more of a SKU than the order has"))
        if case.state == t.CLOSED and case.close_reason not in t.CLOSE_REASONS:
            raise BadLine(line=number, message=_("a closed case needs a close_reason"))
