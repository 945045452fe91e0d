"""Errors as ``application/problem+json``, in the caller's language, mapped once for the whole API."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError, NotFound, Unauthenticated, ValidationFailed
from aftersales.core.field_errors import field_message

PROBLEM = "application/problem+json"

log = logging.getLogger("aftersales.api")


def problem_response(error: DomainError) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"urn:aftersales:problem:{error.code}",
        "title": str(error.title),
        "status": error.status,
        "code": error.code,
        "detail": error.detail(),
    }
    for key, value in error.extra().items():
        if key != "message":
            body.setdefault(key, value)
    return JsonResponse(
        body, status=error.status, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False}
    )


def validation_problem(errors: list[dict[str, Any]]) -> HttpResponse:
    fields = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        fields.append(
            {"field": ".".join(loc), "message": field_message(err), "type": str(err.get("type", ""))}
        )
    summary = "; ".join(f"{f['field']}: {f['message']}" if f["field"] else f["message"] for f in fields)
    error = ValidationFailed(message=_("The request is not valid: %(errors)s") % {"errors": summary})
    response = problem_response(error)
    return _with(response, errors=fields)


def _with(response: HttpResponse, **extra: Any) -> HttpResponse:
    import json

    body = json.loads(response.content)
    body.update(extra)
    response.content = json.dumps(body, ensure_ascii=False).encode()
    return response


def install(api: Any) -> None:
    from ninja.errors import AuthenticationError, HttpError, ValidationError

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(NotFound())

    def _cannot_hold(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A value the schemas let through that a column cannot hold (each number a request may carry has a
        # bound below it: ``core.bounds``). What it was written in is rolled back with its transaction.
        log.warning("%s %s: a value the database cannot hold: %s", request.method, request.path, exc)
        return problem_response(ValidationFailed(message=_("A value is outside what can be stored.")))

    api.add_exception_handler(DataError, _cannot_hold)
    api.add_exception_handler(OverflowError, _cannot_hold)

    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problem_response(exc)

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return validation_problem(list(exc.errors))

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(Unauthenticated())

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # django-ninja's own refusals: a 404, or a body it could not parse (its 400).
        if exc.status_code == 404:
            return problem_response(NotFound())
        return problem_response(
            ValidationFailed(
                message=_(
                    "The request body could not be read: send JSON with Content-Type: application/json."
                )
            )
        )
