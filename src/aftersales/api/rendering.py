"""How the API writes JSON: by orjson, compact, with Chinese text as UTF-8 (as problem bodies already were),
not as ``\\uXXXX`` escapes that make a page of cases a third larger; and ``shaped``, for bodies a view has
already built in the shape of its response schema, rendered the same way without validating them again.

Validating a page of cases against ``CaseOut`` costs more than reading the page. The views that answer with
``shaped`` keep their schema in the decorator (it documents the body in the OpenAPI), and tests check that
what they send is what the schema gives for the same data.

orjson writes the JSON types itself (about a tenth of the time the standard library takes for a page of
cases); every other value (times, lazy translations, schemas, URLs) goes to ninja's encoder, so it reads as
it did when the standard library wrote it: a time the way Django writes one, not orjson's own way."""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

_OTHERS = NinjaJSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def dumps(body: Any) -> bytes:
    """``body`` as the API's JSON."""
    return orjson.dumps(body, default=_OTHERS.default, option=_OPTIONS)


class Utf8JSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return dumps(data)


RENDERER = Utf8JSONRenderer()
CONTENT_TYPE = f"{RENDERER.media_type}; charset={RENDERER.charset}"


def shaped(body: Any, status: int = 200) -> HttpResponse:
    """``body`` as the API's JSON, as ninja sends a body after validating it."""
    return HttpResponse(dumps(body), status=status, content_type=CONTENT_TYPE)
