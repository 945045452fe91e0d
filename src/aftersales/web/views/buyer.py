"""The buyer's pages: my orders and their after-sales entry, applying, a case with its timeline and chat,
and the buyer's actions (confirm or decline a reship proposal, ship a return, escalate, confirm receipt,
cancel, reapply)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aftersales.cases import services
from aftersales.cases.models import AfterSale
from aftersales.cases.queries import order_entry
from aftersales.chat import services as chat
from aftersales.core import clock
from aftersales.core.actors import BUYER, Actor
from aftersales.core.errors import DomainError, NotFound
from aftersales.orders.queries import get_order
from aftersales.reviews.models import TAGS, ServiceRating
from aftersales.reviews.services import evaluate
from aftersales.web import forms as f
from aftersales.web import labels, queries
from aftersales.web.views.actions import Action, perform
from aftersales.web.views.shared import (
    case_context,
    error_text,
    order_context,
    render_forms,
    role_required,
    safe_next,
)


def _version(d: dict[str, Any]) -> int | None:
    version: int | None = d.get("version")
    return version


ACTIONS = {
    "confirm": Action(f.VersionForm, lambda c, a, d: services.confirm(c, actor=a, version=_version(d))),
    "decline": Action(
        f.DeclineForm, lambda c, a, d: services.decline(c, actor=a, reason=d["reason"], version=_version(d))
    ),
    "cancel": Action(f.VersionForm, lambda c, a, d: services.cancel(c, actor=a, version=_version(d))),
    "confirm_received": Action(
        f.VersionForm, lambda c, a, d: services.confirm_received(c, actor=a, version=_version(d))
    ),
    "escalate": Action(
        f.EscalateForm, lambda c, a, d: services.escalate(c, actor=a, reason=d["reason"], version=_version(d))
    ),
    "ship_return": Action(
        f.ShipReturnForm,
        lambda c, a, d: services.ship_return(
            c,
            actor=a,
            carrier=d["carrier"],
            tracking_no=d["tracking_no"].strip(),
            freight_fen=d["freight"],
            version=_version(d),
        ),
    ),
    "reapply": Action(
        f.ReapplyForm,
        lambda c, a, d: services.reapply(
            c,
            actor=a,
            version=_version(d),
            reason_code=d["reason_code"] or None,
            refund_fen=d["amount"],
            description=d["description"],
            evidence=d["evidence"],
        ),
    ),
}


@role_required(BUYER)
def orders(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "web/buyer/orders.html", {"rows": queries.buyer_orders(actor, now=clock.now())})


def order_page(
    request: HttpRequest,
    actor: Actor,
    order_sn: str,
    *,
    bound: forms.Form | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = order_context(order_sn, actor)
    context.update(
        chat_form=bound or f.ChatForm(), error=error, error_message=error_text(error) if error else None
    )
    return render(request, "web/buyer/order.html", context, status=status)


@role_required(BUYER)
def order_detail(request: HttpRequest, actor: Actor, order_sn: str) -> HttpResponse:
    return order_page(request, actor, order_sn)


@require_http_methods(["GET", "POST"])
@role_required(BUYER)
def apply(request: HttpRequest, actor: Actor, order_sn: str) -> HttpResponse:
    """申请售后: type, reason, items and quantities, amount in 元, description and photo links."""
    try:
        order = get_order(order_sn, actor)
    except NotFound as exc:
        raise Http404() from exc
    lines = queries.order_lines(order)
    entry = order_entry(order, now=clock.now())
    if request.method == "GET":
        form = f.ApplyForm(lines=lines, initial={"type": request.GET.get("type", "refund_only")})
        return _apply_page(request, order, lines, entry, form)
    form = f.ApplyForm(request.POST, lines=lines)
    if not form.is_valid():
        return _apply_page(request, order, lines, entry, form, status=400)
    data = form.cleaned_data
    application = services.Application(
        order_sn=order.order_sn,
        type=data["type"],
        reason_code=data["reason_code"],
        items=[services.ItemRequest(sku=sku, qty=qty) for sku, qty in form.items()],
        refund_fen=data["amount"],
        exchange_sku=data["exchange_sku"] or None,
        description=data["description"],
        evidence=data["evidence"],
    )
    try:
        case = services.apply(application, actor=actor)
    except DomainError as exc:
        return _apply_page(request, order, lines, entry, form, error=exc, status=exc.status)
    messages.success(
        request,
        _("Application %(id)s submitted: %(state)s.")
        % {"id": case.pk, "state": labels.state_label(case.state, case.type)},
    )
    return redirect(reverse("buyer-case", args=[case.pk]))


def _apply_page(
    request: HttpRequest,
    order: Any,
    lines: list[Any],
    entry: dict[str, Any],
    form: f.ApplyForm,
    *,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "order": order,
        "entry": entry,
        "form": form,
        "error": error,
        "error_message": error_text(error) if error else None,
    }
    return render(request, "web/buyer/apply.html", context, status=status)


def _action_forms(case: AfterSale, version: int) -> dict[str, forms.Form]:
    initial = {"version": version}
    forms_by_action: dict[str, forms.Form] = {
        "confirm": f.VersionForm(initial=initial, prefix="confirm"),
        "decline": f.DeclineForm(initial=initial, prefix="decline"),
        "cancel": f.VersionForm(initial=initial, prefix="cancel"),
        "confirm_received": f.VersionForm(initial=initial, prefix="confirm_received"),
        "escalate": f.EscalateForm(initial=initial, prefix="escalate"),
        "ship_return": f.ShipReturnForm(initial=initial, prefix="ship_return"),
        "reapply": f.ReapplyForm(
            initial={
                **initial,
                "reason_code": case.reason_code,
                "description": case.description,
                "evidence": "\n".join(case.evidence),
            },
            prefix="reapply",
        ),
        "chat": f.ChatForm(),
        "evaluate": f.RatingForm(initial=initial, prefix="evaluate"),
    }
    return forms_by_action


def case_page(
    request: HttpRequest,
    actor: Actor,
    case_id: int,
    *,
    bound: forms.Form | None = None,
    action: str | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = case_context(case_id, actor)
    context["rating"] = rating_of(context["case"])
    forms_by_action = _action_forms(context["case"], context["view"]["version"])
    return render_forms(request, "web/buyer/case.html", context, forms_by_action,
                        bound=bound, action=action, error=error, status=status)  # fmt: skip


def rating_of(case: AfterSale) -> dict[str, Any] | None:
    """The buyer's rating of the case, with its tags in words; None before it is rated."""
    rating = ServiceRating.objects.filter(case_id=case.pk).first()
    if rating is None:
        return None
    return {
        "score": rating.score,
        "stars": "★" * rating.score + "☆" * (5 - rating.score),
        "tags": [str(TAGS[code].label) if code in TAGS else code for code in rating.tags],
        "comment": rating.comment,
        "at": rating.created_at,
    }


@role_required(BUYER)
def case_detail(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    return case_page(request, actor, case_id)


@require_POST
@role_required(BUYER)
def case_action(request: HttpRequest, actor: Actor, case_id: int, action: str) -> HttpResponse:
    done = safe_next(request, reverse("buyer-case", args=[case_id]))
    return perform(request, actor, case_id, action, actions=ACTIONS, page=case_page, done_url=done)


@require_POST
@role_required(BUYER)
def rate(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    """服务评价: the buyer rates the after-sales service of their finished case, once."""
    form = f.RatingForm(request.POST, prefix="evaluate")
    if not form.is_valid():
        return case_page(request, actor, case_id, bound=form, action="evaluate", status=400)
    data = form.cleaned_data
    try:
        evaluate(
            case_id,
            actor=actor,
            score=data["score"] if data["score"] is not None else 0,
            tags=data["tags"],
            comment=data["comment"],
            version=data.get("version"),
        )
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as exc:
        return case_page(request, actor, case_id, bound=form, action="evaluate", error=exc, status=exc.status)
    messages.success(request, _("Thank you: your rating of the after-sales service is saved."))
    return redirect(reverse("buyer-case", args=[case_id]) + "#rating")


@require_http_methods(["GET", "POST"])
@role_required(BUYER)
def order_chat(request: HttpRequest, actor: Actor, order_sn: str) -> HttpResponse:
    """GET: the chat log alone (polled by htmx). POST: a message to the merchant."""
    if request.method == "GET":
        try:
            rows = queries.chat_rows(actor, order_sn)
        except NotFound as exc:
            raise Http404() from exc
        return render(request, "web/parts/chat_log.html", {"chat": rows, "me": BUYER})
    form = f.ChatForm(request.POST)
    form.is_valid()
    case_id = request.POST.get("case", "")
    back = (
        reverse("buyer-case", args=[int(case_id)])
        if case_id.isdigit()
        else reverse("buyer-order", args=[order_sn])
    )
    try:
        chat.post_message(actor=actor, order_sn=order_sn, text=form.cleaned_data.get("text") or "")
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as exc:
        if case_id.isdigit():
            return case_page(
                request, actor, int(case_id), bound=form, action="chat", error=exc, status=exc.status
            )
        return order_page(request, actor, order_sn, bound=form, error=exc, status=exc.status)
    return redirect(back + "#chat")
