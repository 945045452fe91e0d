"""HTTP: after-sales cases. Parse, call one service, return the case as the caller sees it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from pydantic import BaseModel

from aftersales.api.auth import actor_of, require
from aftersales.api.rendering import shaped
from aftersales.cases import queries, services, views
from aftersales.cases.evidence import evidence as case_evidence
from aftersales.core import clock
from aftersales.core.actors import BUYER, MERCHANT, PLATFORM, Actor
from aftersales.core.bounds import MAX_ID, AskedFen, Fen, Qty, Version
from aftersales.core.errors import ValidationFailed
from aftersales.orders.shapes import Receiver

# A case's id in a path: an id past what the key column holds is refused as bad input, not looked up.
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]

router = Router(tags=["after-sales"])


class ItemIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    qty: Qty


class ApplyIn(Schema):
    order_sn: str = Field(min_length=1, max_length=64)
    type: Literal["refund_only", "return_refund", "exchange", "reship"]
    reason_code: str = Field(min_length=1, max_length=32)
    items: list[ItemIn] = Field(min_length=1, max_length=100)
    refund_fen: AskedFen | None = None  # policy rule 7 checks it: amount_exceeds_refundable
    exchange_sku: str | None = Field(None, max_length=64)
    description: str = Field("", max_length=2000)
    evidence: list[str] = Field(default_factory=list, max_length=9)
    address: Receiver | None = None


class VersionIn(Schema):
    version: Version | None = None


class AgreeIn(VersionIn):
    return_address: Receiver | None = None


class RejectIn(VersionIn):
    reason: str = Field(min_length=1, max_length=1000)


class ReceiveReturnIn(VersionIn):
    accept: bool
    note: str = Field("", max_length=1000)
    resellable: bool = False


class ShipIn(VersionIn):
    carrier: str = Field(min_length=1, max_length=16)
    tracking_no: str = Field(min_length=1, max_length=64)


class NoteIn(VersionIn):
    note: str = Field("", max_length=1000)


class ReapplyIn(VersionIn):
    reason_code: str | None = Field(None, max_length=32)
    refund_fen: AskedFen | None = None  # policy rule 7 checks it: amount_exceeds_refundable
    description: str | None = Field(None, max_length=2000)
    evidence: list[str] | None = Field(None, max_length=9)


class EscalateIn(VersionIn):
    reason: str = Field("", max_length=1000)


class ShipReturnIn(VersionIn):
    carrier: str = Field(min_length=1, max_length=16)
    tracking_no: str = Field(min_length=1, max_length=64)
    freight_fen: Fen = 0


class DecideIn(VersionIn):
    decision: Literal["refund", "reject", "return", "reship"]
    note: str = Field(min_length=1, max_length=2000)


class ShipmentOut(Schema):
    carrier: str
    tracking_no: str
    freight_fen: int
    shipped_at: str | None
    picked_up_at: str | None
    delivered_at: str | None


class RefundOut(Schema):
    id: int
    status: str
    amount_fen: int
    goods_fen: int
    freight_fen: int
    initiated_at: str | None
    settled_at: str | None
    due_by: str | None
    attempts: int
    failure_reason: str


class RiskFlagOut(Schema):
    code: str
    message: str
    params: dict[str, Any]


class CaseOut(Schema):
    id: int
    shop: str
    order_sn: str
    type: str
    state: str
    close_reason: str | None
    waiting_on: str | None
    deadline_at: str | None
    pdd_status: int
    reason_code: str
    merchant_fault: bool
    return_freight_payer: str
    items: list[ItemIn]
    refund_fen: int
    freight_refund_fen: int
    exchange_sku: str | None
    description: str
    evidence: list[str]
    return_address: dict[str, str] | None
    refund: RefundOut | None
    return_shipment: ShipmentOut | None
    replacement_shipment: ShipmentOut | None
    initiated_by: str
    merchant_liable: bool
    allowed_actions: list[str]
    created_at: str | None
    updated_at: str | None
    version: int
    # Merchants and the platform only; absent from a buyer's view.
    risk_flags: list[RiskFlagOut] | None = Field(None, exclude_if=lambda flags: flags is None)


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class ActorOut(Schema):
    role: str
    id: str


class EventOut(Schema):
    seq: int
    at: str | None
    action: str
    actor: ActorOut
    from_state: str | None
    to_state: str
    data: dict[str, Any]


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class QueueQuery(BaseModel):
    """The queue's filters. A plain pydantic model: ninja's ``Schema`` adds a validator that reads Django
    objects, which query parameters never are, and it took nine tenths of their validation."""

    state: str | None = None
    type: str | None = None
    waiting_on: Literal["merchant", "buyer", "platform", "payment"] | None = None
    order_sn: str | None = None
    overdue: bool | None = None
    shop: str | None = None
    sort: Literal["deadline", "-created"] = "deadline"
    cursor: str | None = None
    limit: int = Field(20, ge=1, le=100)


def _view(request: HttpRequest, case_id: int, status: int = 200) -> HttpResponse:
    """The case as the caller sees it now, read again after a command (``CaseOut``)."""
    actor = actor_of(request)
    return shaped(views.case_view(queries.get_case(case_id, actor), actor), status)


@router.post("/after-sales", response={201: CaseOut})
def create_case(request: HttpRequest, body: ApplyIn) -> HttpResponse:
    actor = require(request, BUYER, MERCHANT)
    if actor.role == MERCHANT:
        return _view(request, _propose(body, actor).pk, 201)
    case = services.apply(
        services.Application(
            order_sn=body.order_sn,
            type=body.type,
            reason_code=body.reason_code,
            items=[services.ItemRequest(sku=i.sku, qty=i.qty) for i in body.items],
            refund_fen=body.refund_fen,
            exchange_sku=body.exchange_sku,
            description=body.description,
            evidence=body.evidence,
        ),
        actor=actor,
    )
    return _view(request, case.pk, 201)


def _propose(body: ApplyIn, actor: Actor) -> Any:
    if body.type != "reship":
        raise ValidationFailed(field="type", message=_("a merchant may only propose a reship for the buyer"))
    return services.propose_reship(
        services.Proposal(
            order_sn=body.order_sn,
            items=[(i.sku, i.qty) for i in body.items],
            reason_code=body.reason_code,
            address=body.address.model_dump() if body.address else None,
            description=body.description,
        ),
        actor=actor,
    )


@router.get("/after-sales", response=CasePage)
def list_cases(request: HttpRequest, q: Query[QueueQuery]) -> HttpResponse:
    actor = actor_of(request)
    page, cursor = views.queue_views(actor, queries.QueueFilter(**q.model_dump()), now=clock.now())
    return shaped({"items": page, "next_cursor": cursor})


@router.get("/after-sales/{case_id}", response=CaseOut)
def get_case(request: HttpRequest, case_id: CaseId) -> HttpResponse:
    return _view(request, case_id)


@router.get("/after-sales/{case_id}/events", response=EventPage)
def list_events(request: HttpRequest, case_id: CaseId) -> dict[str, Any]:
    return {"items": queries.events(case_id, actor_of(request)), "next_cursor": None}


@router.post("/after-sales/{case_id}/agree", response=CaseOut)
def agree(request: HttpRequest, case_id: CaseId, body: AgreeIn) -> HttpResponse:
    address = body.return_address.model_dump() if body.return_address else None
    services.agree(case_id, actor=actor_of(request), version=body.version, return_address=address)
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/reject", response=CaseOut)
def reject(request: HttpRequest, case_id: CaseId, body: RejectIn) -> HttpResponse:
    services.reject(case_id, actor=actor_of(request), reason=body.reason, version=body.version)
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/receive_return", response=CaseOut)
def receive_return(request: HttpRequest, case_id: CaseId, body: ReceiveReturnIn) -> HttpResponse:
    services.receive_return(
        case_id,
        actor=actor_of(request),
        accept=body.accept,
        note=body.note,
        resellable=body.resellable,
        version=body.version,
    )
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/cancel", response=CaseOut)
def cancel(request: HttpRequest, case_id: CaseId, body: VersionIn | None = None) -> HttpResponse:
    services.cancel(case_id, actor=actor_of(request), version=body.version if body else None)
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/reapply", response=CaseOut)
def reapply(request: HttpRequest, case_id: CaseId, body: ReapplyIn) -> HttpResponse:
    services.reapply(
        case_id,
        actor=actor_of(request),
        version=body.version,
        reason_code=body.reason_code,
        refund_fen=body.refund_fen,
        description=body.description,
        evidence=body.evidence,
    )
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/escalate", response=CaseOut)
def escalate(request: HttpRequest, case_id: CaseId, body: EscalateIn) -> HttpResponse:
    services.escalate(case_id, actor=actor_of(request), reason=body.reason, version=body.version)
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/ship_return", response=CaseOut)
def ship_return(request: HttpRequest, case_id: CaseId, body: ShipReturnIn) -> HttpResponse:
    services.ship_return(
        case_id,
        actor=actor_of(request),
        carrier=body.carrier,
        tracking_no=body.tracking_no,
        freight_fen=body.freight_fen,
        version=body.version,
    )
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/decide", response=CaseOut)
def decide(request: HttpRequest, case_id: CaseId, body: DecideIn) -> HttpResponse:
    require(request, PLATFORM, BUYER, MERCHANT)
    services.decide(
        case_id, actor=actor_of(request), decision=body.decision, note=body.note, version=body.version
    )
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/confirm", response=CaseOut)
def confirm(request: HttpRequest, case_id: CaseId, body: VersionIn | None = None) -> HttpResponse:
    services.confirm(case_id, actor=actor_of(request), version=body.version if body else None)
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/decline", response=CaseOut)
def decline(request: HttpRequest, case_id: CaseId, body: NoteIn | None = None) -> HttpResponse:
    services.decline(
        case_id,
        actor=actor_of(request),
        version=body.version if body else None,
        reason=body.note if body else "",
    )
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/ship", response=CaseOut)
def ship(request: HttpRequest, case_id: CaseId, body: ShipIn) -> HttpResponse:
    services.ship(
        case_id,
        actor=actor_of(request),
        carrier=body.carrier,
        tracking_no=body.tracking_no,
        version=body.version,
    )
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/confirm_received", response=CaseOut)
def confirm_received(request: HttpRequest, case_id: CaseId, body: VersionIn | None = None) -> HttpResponse:
    services.confirm_received(case_id, actor=actor_of(request), version=body.version if body else None)
    return _view(request, case_id)


@router.post("/after-sales/{case_id}/refund_instead", response=CaseOut)
def refund_instead(request: HttpRequest, case_id: CaseId, body: NoteIn | None = None) -> HttpResponse:
    services.refund_instead(
        case_id,
        actor=actor_of(request),
        version=body.version if body else None,
        note=body.note if body else "",
    )
    return _view(request, case_id)


@router.get("/after-sales/{case_id}/evidence", response=None)
def evidence(request: HttpRequest, case_id: CaseId, format: Literal["json", "html"] = "json") -> HttpResponse:
    record = case_evidence(case_id, actor_of(request))
    if format == "html":
        return render(request, "cases/evidence.html", {"record": record})
    return JsonResponse(record, json_dumps_params={"ensure_ascii": False})
