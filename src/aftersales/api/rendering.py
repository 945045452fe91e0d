"""How the API writes JSON: Chinese text as UTF-8 (as problem bodies already were), not as ``\\uXXXX`` escapes
that make a page of cases a third larger; and ``shaped``, for bodies a view has already built in the shape
of its response schema, rendered the same way without validating them again.

Validating a page of cases against ``CaseOut`` costs more than reading the page. The views that answer with
``shaped`` keep their schema in the decorator (it documents the body in the OpenAPI), and tests check that
what they send is what the schema gives for the same data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from ninja.renderers import JSONRenderer


class Utf8JSONRenderer(JSONRenderer):
    json_dumps_params: Mapping[str, Any] = {"ensure_ascii": False}


RENDERER = Utf8JSONRenderer()
CONTENT_TYPE = f"{RENDERER.media_type}; charset={RENDERER.charset}"


def shaped(body: Any, status: int = 200) -> HttpResponse:
    """``body`` as the API's JSON, as ninja sends a body after validating it."""
    content = json.dumps(body, cls=RENDERER.encoder_class, **RENDERER.json_dumps_params)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPE)
