"""Answers under ``/api/`` that no handler of the API wrote: a path it does not have (Django's 404 page) or a
method a path does not take (django-ninja's 405). They become problem+json in the caller's language, as every
other error of the API is, instead of an HTML page or a bare line of English."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from aftersales.api.pages_only import API_PREFIX
from aftersales.api.problems import PROBLEM, problem_response
from aftersales.core.errors import MethodNotAllowed, NoSuchPath


class UnroutedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code not in (404, 405)
            or not request.path_info.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith(PROBLEM)
        ):
            return response
        if response.status_code == 404:
            return problem_response(NoSuchPath(path=request.path))
        allowed = sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip())
        answer = problem_response(MethodNotAllowed(method=request.method, allowed_methods=allowed))
        answer["Allow"] = ", ".join(allowed)
        return answer
