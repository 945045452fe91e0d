"""The platform console (平台): escalated cases with both sides' evidence and the decision, and the abuse
records with the reopening of an order's after-sales entry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.cases import services
from aftersales.core import clock
from aftersales.core.actors import PLATFORM, Actor
from aftersales.core.errors import DomainError
from aftersales.risk.models import RiskRecord
from aftersales.risk.services import reopen_entry
from aftersales.web import forms as f
from aftersales.web import queries
from aftersales.web.views.actions import Action, perform
from aftersales.web.views.shared import case_context, error_text, render_forms, role_required


def _decide(case_id: int, actor: Actor, d: dict[str, Any]) -> Any:
    return services.decide(
        case_id, actor=actor, decision=d["decision"], note=d["note"], version=d.get("version")
    )


ACTIONS = {
    "decide": Action(f.DecideForm, _decide),
    "escalate": Action(
        f.NoteForm, lambda c, a, d: services.escalate(c, actor=a, reason=d["note"], version=d.get("version"))
    ),
}


def _index(
    request: HttpRequest,
    actor: Actor,
    *,
    bound: tuple[int, forms.Form] | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    problem = None
    try:
        cases, next_cursor = queries.escalated(actor, now=clock.now(), cursor=cursor)
    except DomainError as exc:
        cases, next_cursor, problem = [], None, error_text(exc)
    records = [
        (record, bound[1] if bound and bound[0] == record.pk else f.ReopenForm(prefix=f"reopen-{record.pk}"))
        for record in queries.risk_records()
    ]
    context = {
        "cases": cases,
        "next_cursor": next_cursor,
        "records": records,
        "problem": problem,
        "error_record": bound[0] if bound and error else None,
        "error_message": error_text(error) if error else None,
        "error": error,
    }
    return render(request, "web/platform/index.html", context, status=status)


@role_required(PLATFORM)
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _index(request, actor)


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
    """The same record as the evidence export (有据可查), with the decision buttons."""
    context = case_context(case_id, actor)
    initial = {"version": context["view"]["version"]}
    forms_by_action: dict[str, forms.Form] = {
        "decide": f.DecideForm(initial=initial, decisions=context["decisions"], prefix="decide"),
        "escalate": f.NoteForm(initial=initial, prefix="escalate"),
    }
    if isinstance(bound, f.DecideForm):
        bound.fields["decision"].widget.choices = forms_by_action["decide"].fields["decision"].widget.choices
    return render_forms(request, "web/platform/case.html", context, forms_by_action,
                        bound=bound, action=action, error=error, status=status)  # fmt: skip


@role_required(PLATFORM)
def case_detail(request: HttpRequest, actor: Actor, case_id: int) -> HttpResponse:
    return case_page(request, actor, case_id)


@require_POST
@role_required(PLATFORM)
def case_action(request: HttpRequest, actor: Actor, case_id: int, action: str) -> HttpResponse:
    return perform(
        request, actor, case_id, action, actions=ACTIONS, page=case_page,
        done_url=reverse("platform-case", args=[case_id]),
    )  # fmt: skip


@require_POST
@role_required(PLATFORM)
def reopen(request: HttpRequest, actor: Actor, record_id: int) -> HttpResponse:
    """Reopen the order's after-sales entry that the abuse rule closed; the buyer cannot do this."""
    record = get_object_or_404(RiskRecord.objects.select_related("order"), pk=record_id)
    form = f.ReopenForm(request.POST, prefix=f"reopen-{record.pk}")
    form.is_valid()
    try:
        reopen_entry(actor=actor, order_sn=record.order.order_sn, note=form.cleaned_data.get("note") or "")
    except DomainError as exc:
        return _index(request, actor, bound=(record.pk, form), error=exc, status=exc.status)
    messages.success(
        request,
        _("The after-sales entry of order %(order_sn)s is open again.") % {"order_sn": record.order.order_sn},
    )
    return redirect(reverse("platform-home") + "#risk")
