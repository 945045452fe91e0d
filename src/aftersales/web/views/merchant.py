"""The merchant's workbench (售后工作台): the queue by who must act, bulk agreement of refund-only cases,
the shipping list, and the shop's conversations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.cases import queries as case_queries
from aftersales.cases import services
from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.catalog.models import Sku
from aftersales.core import clock
from aftersales.core.actors import MERCHANT, Actor
from aftersales.core.errors import DomainError, NotFound
from aftersales.logistics.queries import shipping_list
from aftersales.orders.queries import get_order
from aftersales.web import labels, queries
from aftersales.web.forms import QueueForm
from aftersales.web.views.shared import error_text, role_required, safe_next

WAITING_TABS = ("merchant", "buyer", "platform", "payment")
BULK_LIMIT = 100


def _filters(form: QueueForm) -> dict[str, Any]:
    data = form.cleaned_data if form.is_valid() else {}
    return {
        "tab": data.get("tab") or "merchant",
        "type": data.get("type") or "",
        "state": data.get("state") or "",
        "q": (data.get("q") or "").strip(),
        "overdue": bool(data.get("overdue")),
        "sort": data.get("sort") or "deadline",
        "cursor": data.get("cursor") or "",
    }


def _link(params: dict[str, Any], **changes: Any) -> str:
    merged = {**params, **changes}
    query = {k: ("1" if v is True else v) for k, v in merged.items() if v not in ("", None, False)}
    return "/workbench/?" + urlencode(query) if query else "/workbench/"


def _page(actor: Actor, params: dict[str, Any]) -> tuple[list[AfterSale], str | None]:
    tab = params["tab"]
    qf = case_queries.QueueFilter(
        state=params["state"] or None,
        type=params["type"] or None,
        waiting_on=tab if tab in WAITING_TABS else None,
        order_sn=params["q"] or None,
        overdue=True if params["overdue"] else None,
        sort=params["sort"],
        cursor=params["cursor"] or None,
        limit=queries.PAGE,
    )
    if tab == "done":
        return queries.finished(actor, qf)
    return case_queries.queue(actor, qf, now=clock.now())


@role_required(MERCHANT)
def queue(request: HttpRequest, actor: Actor) -> HttpResponse:
    """待我处理 / 待买家 / 平台处理中 / 退款中 / 已完成 / 全部, most urgent deadline first."""
    form = QueueForm(request.GET)
    params = _filters(form)
    error = None
    try:
        page, next_cursor = _page(actor, params)
    except DomainError as exc:
        page, next_cursor, error = [], None, error_text(exc)
    rows = [
        {
            "case": case,
            "bulk": case.type == t.REFUND_ONLY and "agree" in t.allowed(case.state, case.type, MERCHANT),
        }
        for case in page
    ]
    base = {**params, "cursor": ""}
    counts = queries.tab_counts(actor.shop_id or 0, now=clock.now())
    context = {
        "rows": rows,
        "params": params,
        "form": form,
        "error": error,
        "counts": counts,
        "tabs": [
            (key, label, _link({"type": params["type"], "q": params["q"]}, tab=key), counts.get(key))
            for key, label in labels.WAITING_TABS.items()
        ],
        "next_link": _link(base, cursor=next_cursor) if next_cursor else None,
        "first_link": _link(base) if params["cursor"] else None,
        "here": request.get_full_path(),
        "any_bulk": any(r["bulk"] for r in rows),
        "now": clock.now(),
    }
    template = (
        "web/merchant/queue_rows.html" if request.headers.get("HX-Request") else "web/merchant/queue.html"
    )
    return render(request, template, context)


@require_POST
@role_required(MERCHANT)
def bulk_agree(request: HttpRequest, actor: Actor) -> HttpResponse:
    """批量同意: each chosen refund-only case goes through the same ``agree`` as one by one; the page says
    what happened to each."""
    chosen = [value for value in request.POST.getlist("case") if value][:BULK_LIMIT]
    if not chosen:
        messages.warning(request, _("Choose the cases to agree to first."))
    for value in chosen:
        _agree_one(request, actor, value)
    return redirect(safe_next(request, "/workbench/"))


def _agree_one(request: HttpRequest, actor: Actor, value: str) -> None:
    case_text, _sep, version_text = value.partition(":")
    if not case_text.isdigit():
        return
    case_id = int(case_text)
    version = int(version_text) if version_text.isdigit() else None
    try:
        case = case_queries.get_case(case_id, actor)
        if case.type != t.REFUND_ONLY:
            messages.error(
                request,
                _("Case %(id)s: only refund-only cases are agreed in bulk; open the case to agree.")
                % {"id": case_id},
            )
            return
        case = services.agree(case_id, actor=actor, version=version)
    except DomainError as exc:
        messages.error(request, _("Case %(id)s: %(error)s") % {"id": case_id, "error": error_text(exc)})
        return
    messages.success(
        request,
        _("Case %(id)s: agreed; now %(state)s.")
        % {"id": case_id, "state": labels.state_label(case.state, case.type)},
    )


@role_required(MERCHANT)
def shipping(request: HttpRequest, actor: Actor) -> HttpResponse:
    """补发订单优先处理: reships and exchanges to ship first, then orders not yet shipped; restock alerts."""
    data = shipping_list(actor.shop_id or 0)
    names = dict(Sku.objects.filter(shop_id=actor.shop_id or 0).values_list("sku", "name"))
    return render(request, "web/merchant/shipping.html", {"data": data, "names": names})


@role_required(MERCHANT)
def conversations(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The shop's chats, latest first; an order number opens that order's chat window."""
    q = request.GET.get("q", "").strip()
    error = None
    if q:
        try:
            order = get_order(q, actor)
        except NotFound as exc:
            error = error_text(exc)
        else:
            return redirect(reverse("merchant-order", args=[order.order_sn]))
    rows = queries.conversations(actor.shop_id or 0)
    return render(request, "web/merchant/chats.html", {"rows": rows, "q": q, "error": error})
