"""What is wrong with one field of a request or of a line to import, in the caller's language: the checks of
the schemas (pydantic's, by the error's ``type``) written as a person would read them. Pydantic's own messages
are English only; an error of a type not listed here gets a general sentence in the caller's language."""

from __future__ import annotations

import re
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

WHOLE_NUMBER = gettext_lazy("Must be a whole number.")
DATE_TIME = gettext_lazy(
    "Must be a date and time in ISO 8601 with an offset, e.g. 2026-11-15T10:00:00+08:00."
)
DATE = gettext_lazy("Must be a date written YYYY-MM-DD, e.g. 2026-11-01.")
OBJECT = gettext_lazy("Must be a JSON object.")
URL = gettext_lazy("Must be an http(s) address.")

# Pydantic's error types, each with its sentence; the ``%(name)s`` in a sentence are the error's context.
MESSAGES: dict[str, Promise] = {
    "missing": gettext_lazy("This field is required."),
    "string_type": gettext_lazy("Must be text."),
    "int_type": WHOLE_NUMBER,
    "int_parsing": WHOLE_NUMBER,
    "int_from_float": gettext_lazy("Must be a whole number, without a fractional part (money is in fen)."),
    "float_type": gettext_lazy("Must be a number."),
    "float_parsing": gettext_lazy("Must be a number."),
    "bool_type": gettext_lazy("Must be true or false."),
    "bool_parsing": gettext_lazy("Must be true or false."),
    "greater_than_equal": gettext_lazy("Must be at least %(ge)s."),
    "greater_than": gettext_lazy("Must be greater than %(gt)s."),
    "less_than_equal": gettext_lazy("Must be at most %(le)s."),
    "less_than": gettext_lazy("Must be less than %(lt)s."),
    "string_too_short": gettext_lazy("Too short: the least length is %(min_length)s characters."),
    "string_too_long": gettext_lazy("Too long: the greatest length is %(max_length)s characters."),
    "too_short": gettext_lazy("Too few items: the least number is %(min_length)s."),
    "too_long": gettext_lazy("Too many items: the greatest number is %(max_length)s."),
    "list_type": gettext_lazy("Must be a list."),
    "dict_type": OBJECT,
    "model_type": OBJECT,
    "model_attributes_type": OBJECT,
    "literal_error": gettext_lazy("Must be one of %(expected)s."),
    "enum": gettext_lazy("Must be one of %(expected)s."),
    "datetime_type": DATE_TIME,
    "datetime_parsing": DATE_TIME,
    "datetime_from_date_parsing": DATE_TIME,
    "timezone_aware": DATE_TIME,
    "date_type": DATE,
    "date_parsing": DATE,
    "date_from_datetime_parsing": DATE,
    "date_from_datetime_inexact": DATE,
    "url_type": URL,
    "url_parsing": URL,
    "url_scheme": URL,
    "string_pattern_mismatch": gettext_lazy("Does not have the expected form."),
    "extra_forbidden": gettext_lazy("Is not a field this accepts."),
    "json_invalid": gettext_lazy("Is not valid JSON."),
}
ANY_OTHER = gettext_lazy("Has a value that is not valid here.")


def field_message(error: dict[str, Any]) -> str:
    """One error of a request schema (pydantic's ``type`` and ``ctx``) as a sentence in the active language."""
    sentence = MESSAGES.get(str(error.get("type", "")))
    if sentence is None:
        return str(ANY_OTHER)
    context = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    if isinstance(context.get("expected"), str):  # "'a', 'b' or 'c'": the values, without an English "or"
        context["expected"] = ", ".join(re.split(r", | or ", str(context["expected"])))
    try:
        return str(sentence) % context
    except (KeyError, TypeError, ValueError):  # a context without what the sentence names
        return str(ANY_OTHER)
