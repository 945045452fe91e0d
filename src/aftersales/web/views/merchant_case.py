"""The merchant's case page (售后详情) and an order's chat window: the case's facts, timeline and chat, the
buttons ``allowed_actions`` gives, replies with the shop's templates, and a reship proposed from the chat
(商家帮买家申请补寄)."""

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
from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.chat import services as chat
from aftersales.core.actors import MERCHANT, Actor
from aftersales.core.errors import DomainError, NotFound
from aftersales.orders.queries import get_order
from aftersales.web import forms as f
from aftersales.web import queries
from aftersales.web.views.actions import Action, perform
from aftersales.web.views.shared import (
    case_context,
    order_context,
    render_forms,
    role_required,
    safe_next,
)


def _agree(case_id: int, actor: Actor, data: dict[str, Any]) -> AfterSale:
    form_address = {k: data.get(k) or "" for k in ("name", "phone", "address")}
    address = form_address if any(v.strip() for v in form_address.values()) else None
    return services.agree(case_id, actor=actor, version=data.get("version"), return_address=address)


ACTIONS = {
    "agree": Action(f.AgreeForm, _agree),
    "reject": Action(
        f.RejectForm,
        lambda c, a, d: services.reject(c, actor=a, reason=d["reason"], version=d.get("version")),
    ),
    "receive_return": Action(
        f.ReceiveReturnForm,
        lambda c, a, d: services.receive_return(
            c,
            actor=a,
            accept=d["outcome"] == "accept",
            note=d["note"],
            resellable=d["resellable"],
            version=d.get("version"),
        ),
    ),
    "ship": Action(
        f.ShipForm,
        lambda c, a, d: services.ship(
            c, actor=a, carrier=d["carrier"], tracking_no=d["tracking_no"].strip(), version=d.get("version")
        ),
    ),
    "refund_instead": Action(
        f.NoteForm,
        lambda c, a, d: services.refund_instead(c, actor=a, note=d["note"], version=d.get("version")),
    ),
}


def _action_forms(case: AfterSale, version: int) -> dict[str, forms.Form]:
    initial = {"version": version}
    address = case.shop.default_return_address or {}
    agree_initial = (
        {**initial, **address}
        if t.next_state(case.state, "agree", case.type) == t.AWAITING_RETURN
        else initial
    )
    return {
        "agree": f.AgreeForm(initial=agree_initial, prefix="agree"),
        "reject": f.RejectForm(initial=initial, prefix="reject"),
        "receive_return": f.ReceiveReturnForm(initial=initial, prefix="receive_return"),
        "ship": f.ShipForm(initial=initial, prefix="ship"),
        "refund_instead": f.NoteForm(initial=initial, prefix="refund_instead"),
        "chat": f.ChatForm(),
    }


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
    context["agree_needs_address"] = (
        t.next_state(context["case"].state, "agree", context["case"].type) == t.AWAITING_RETURN
    )
    forms_by_action = _action_forms(context["case"], context["view"]["version"])
    return render_forms(request, "web/merchant/case.html", context, forms_by_action,
                        bound=bound, action=action, error=error, status=status)  # fmt: skip


@role_required(MERCHANT)
def case_detail(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    return case_page(request, actor, case_id)


@require_POST
@role_required(MERCHANT)
def case_action(request: HttpRequest, actor: Actor, case_id: int, action: str) -> HttpResponse:
    return perform(
        request,
        actor,
        case_id,
        action,
        actions=ACTIONS,
        page=case_page,
        done_url=reverse("merchant-case", args=[case_id]),
    )


def order_page(
    request: HttpRequest,
    actor: Actor,
    order_sn: str,
    *,
    bound: forms.Form | None = None,
    action: str | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = order_context(order_sn, actor)
    forms_by_action: dict[str, forms.Form] = {
        "chat": f.ChatForm(),
        "reship": f.ProposeReshipForm(lines=context["lines"]),
    }
    return render_forms(request, "web/merchant/order.html", context, forms_by_action,
                        bound=bound, action=action, error=error, status=status)  # fmt: skip


@role_required(MERCHANT)
def order_detail(request: HttpRequest, actor: Actor, order_sn: str) -> HttpResponse:
    return order_page(request, actor, order_sn)


@require_POST
@role_required(MERCHANT)
def propose_reship(request: HttpRequest, actor: Actor, order_sn: str) -> HttpResponse:
    """The seed's 退款按钮 → 补寄 → reason and address → submit: a card goes to the buyer to confirm."""
    try:
        order = get_order(order_sn, actor)
    except NotFound as exc:
        raise Http404() from exc
    form = f.ProposeReshipForm(request.POST, lines=queries.order_lines(order))
    if not form.is_valid():
        return order_page(request, actor, order_sn, bound=form, action="reship", status=400)
    proposal = services.Proposal(
        order_sn=order.order_sn,
        items=form.items(),
        reason_code=form.cleaned_data["reason_code"],
        address=form.ship_to(),
        description=form.cleaned_data["description"],
    )
    try:
        case = services.propose_reship(proposal, actor=actor)
    except DomainError as exc:
        return order_page(request, actor, order_sn, bound=form, action="reship", error=exc, status=exc.status)
    messages.success(
        request, _("Reship request %(id)s sent; the buyer confirms it in the chat.") % {"id": case.pk}
    )
    return redirect(reverse("merchant-order", args=[order.order_sn]))


@require_http_methods(["GET", "POST"])
@role_required(MERCHANT)
def order_chat(request: HttpRequest, actor: Actor, order_sn: str) -> HttpResponse:
    """GET: the chat log alone (polled by htmx). POST: send a message, typed or from a reply template."""
    if request.method == "GET":
        try:
            rows = queries.chat_rows(actor, order_sn)
        except NotFound as exc:
            raise Http404() from exc
        return render(request, "web/parts/chat_log.html", {"chat": rows, "me": MERCHANT})
    form = f.ChatForm(request.POST)
    case_id = request.POST.get("case", "")
    back = (
        reverse("merchant-case", args=[int(case_id)])
        if case_id.isdigit()
        else reverse("merchant-order", args=[order_sn])
    )
    try:
        form.is_valid()
        chat.post_message(actor=actor, order_sn=order_sn, text=_message_text(actor, order_sn, form))
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as exc:
        if case_id.isdigit():
            return case_page(
                request, actor, int(case_id), bound=form, action="chat", error=exc, status=exc.status
            )
        return order_page(request, actor, order_sn, bound=form, action="chat", error=exc, status=exc.status)
    return redirect(safe_next(request, back) + "#chat")


def _message_text(actor: Actor, order_sn: str, form: f.ChatForm) -> str:
    """The typed text; without it, the chosen reply template filled in for this order (when scripts are off)."""
    text: str = form.cleaned_data.get("text") or ""
    name = form.cleaned_data.get("template") or ""
    if text.strip() or not name:
        return text
    order = get_order(order_sn, actor)
    rendered = dict(queries.reply_templates(actor, queries.template_values(None, order, None)))
    return rendered.get(name, "")
