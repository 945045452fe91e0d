"""``Idempotency-Key`` on API POSTs: the first answer is stored with the key, in the same transaction as the
work, and sent again for a repeat; the same key with another body is ``409 idempotency_key_reused``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from aftersales.api.models import IdempotencyRecord
from aftersales.api.problems import problem_response
from aftersales.core import clock, rows
from aftersales.core.errors import IdempotencyKeyReused, ValidationFailed

HEADER = "HTTP_IDEMPOTENCY_KEY"
API_PREFIX = "/api/v1/"


def _canonical(body: bytes) -> bytes:
    """The same JSON with other key order or spacing is the same request."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        return body


def _replay(record: IdempotencyRecord, request_hash: str) -> HttpResponse:
    if record.request_hash != request_hash:
        return problem_response(IdempotencyKeyReused())
    response = HttpResponse(record.body, status=record.status, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.META.get(HEADER)
        if key is None or request.method not in ("POST", "PATCH") or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if not 1 <= len(key) <= 200:
            message = _("an Idempotency-Key has 1 to 200 characters")
            return problem_response(ValidationFailed(field="Idempotency-Key", message=message))
        auth = request.META.get("HTTP_AUTHORIZATION", "")
        principal = hashlib.sha256(auth.encode()).hexdigest()
        request_hash = hashlib.sha256(
            request.method.encode() + b" " + request.path.encode() + b"\n" + _canonical(request.body)
        ).hexdigest()
        found = rows.get(IdempotencyRecord, principal=principal, key=key)
        if found is not None:
            return _replay(found, request_hash)
        try:
            with transaction.atomic():
                response = self.get_response(request)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                    return response
                record = IdempotencyRecord(
                    principal=principal,
                    key=key,
                    request_hash=request_hash,
                    status=response.status_code,
                    content_type=response.get("Content-Type", "application/json"),
                    body=response.content.decode(),
                    created_at=clock.now(),
                )
                rows.insert(record, returning=False)
                return response
        except IntegrityError:
            # A concurrent request with the same key won; its work stands and ours was rolled back.
            winner = rows.get(IdempotencyRecord, principal=principal, key=key)
            assert winner is not None  # committed before our insert collided with it
            return _replay(winner, request_hash)
