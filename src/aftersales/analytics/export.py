"""The metrics report as a CSV download, the same for the API and the pages."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django.http import HttpResponse

from aftersales.analytics.queries import csv_rows


def csv_text(report: dict[str, Any]) -> str:
    """The report's table (``queries.csv_rows``) written as CSV text."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(csv_rows(report))
    return out.getvalue()


def csv_filename(report: dict[str, Any]) -> str:
    shop = re.sub(r"[^A-Za-z0-9_.-]", "_", report["shop"] or "all")
    return f"metrics-{shop}-{report['from']}-{report['to']}.csv"


def csv_response(report: dict[str, Any]) -> HttpResponse:
    """A ``text/csv`` attachment named after the shop and the range."""
    response = HttpResponse(csv_text(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(report)}"'
    return response
