"""One way for every role to act on a case from its page: parse the action's form, call the service, and
either redirect with a message (Post/Redirect/Get) or show the page again with the form as typed and the
service's error. A refused command changed nothing, so showing the page again is all there is to do."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from aftersales.cases.models import AfterSale
from aftersales.core.actors import Actor
from aftersales.core.errors import DomainError, NotFound
from aftersales.web import labels


class CasePage(Protocol):
    def __call__(
        self,
        request: HttpRequest,
        actor: Actor,
        case_id: int,
        *,
        bound: forms.Form | None = None,
        action: str | None = None,
        error: DomainError | None = None,
        status: int = 200,
    ) -> HttpResponse: ...


@dataclass(frozen=True)
class Action:
    form: Callable[..., forms.Form]
    run: Callable[[int, Actor, dict[str, Any]], AfterSale]


def perform(
    request: HttpRequest,
    actor: Actor,
    case_id: int,
    action: str,
    *,
    actions: Mapping[str, Action],
    page: CasePage,
    done_url: str,
) -> HttpResponse:
    spec = actions.get(action)
    if spec is None:
        raise Http404()
    form = spec.form(request.POST, prefix=action)
    if not form.is_valid():
        return page(request, actor, case_id, bound=form, action=action, status=400)
    try:
        case = spec.run(case_id, actor, form.cleaned_data)
    except NotFound as exc:
        raise Http404() from exc
    except DomainError as exc:
        return page(request, actor, case_id, bound=form, action=action, error=exc, status=exc.status)
    messages.success(
        request,
        _("%(action)s: done. The case is now: %(state)s.")
        % {
            "action": labels.action_label(action, case.type, actor.role),
            "state": labels.state_label(case.state, case.type),
        },
    )
    return redirect(done_url)
