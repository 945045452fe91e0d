"""What the dashboard pages draw from a metrics report: the number cards, the charts over time as SVG
geometry (the template draws it, no script), and the top reasons and SKUs as bars."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from aftersales.web.templatetags.aftersales_web import reason_label

WIDTH, HEIGHT = 1100, 240
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 40, 24, 10

# (key, label, how the number is shown)
CARDS = (
    ("after_sales_rate", _("After-sales rate"), "percent"),
    ("refund_rate", _("Refund rate"), "percent"),
    ("intervention_rate", _("Platform intervention rate"), "percent"),
    ("dispute_refund_rate", _("Dispute refund rate"), "percent"),
    ("first_response_p50_s", _("First response (median)"), "duration"),
    ("first_response_p90_s", _("First response (p90)"), "duration"),
    ("resolution_p50_s", _("Time to resolution (median)"), "duration"),
    ("deadlines_met_rate", _("Deadlines met"), "percent"),
    ("rating_avg", _("Average rating"), "rating"),
    ("service_score", _("Service score"), "score"),
)


def duration_text(seconds: int) -> str:
    if seconds < 3600:
        return str(_("%(m)s min")) % {"m": round(seconds / 60)}
    if seconds < 86400:
        return str(_("%(h)s h")) % {"h": round(seconds / 3600, 1)}
    return str(_("%(d)s d")) % {"d": round(seconds / 86400, 1)}


def _value_text(value: Any, kind: str, report: dict[str, Any]) -> str:
    if value is None:
        return "—"
    if kind == "percent":
        return f"{value * 100:.2f}%"
    if kind == "duration":
        return duration_text(int(value))
    if kind == "rating":
        return str(_("%(avg)s (%(n)s ratings)")) % {"avg": f"{value:.2f}", "n": report["rating_count"]}
    return f"{value:.3f}"


def cards(report: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"key": key, "label": str(label), "value": _value_text(report.get(key), kind, report)}
        for key, label, kind in CARDS
    ]


def _scale(peak: int) -> int:
    """A round top for the y axis, at least 1."""
    top = max(peak, 1)
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if top <= step * 4:
            return -(-top // step) * step
    return top


def chart(per_day: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars per day for cases and refunds side by side, a line for interventions, on one y axis."""
    n = max(len(per_day), 1)
    top = _scale(max([0] + [max(d["cases"], d["refunds"], d["interventions"]) for d in per_day]))
    plot_w, plot_h = WIDTH - PAD_LEFT, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_w / n
    bar = max(slot * 0.38, 0.5)
    base = PAD_TOP + plot_h

    def y(value: int) -> float:
        return round(base - value / top * plot_h, 1)

    days, points = [], []
    for i, d in enumerate(per_day):
        x = PAD_LEFT + i * slot
        days.append(
            {
                "date": d["date"],
                "cases": {
                    "x": round(x + slot * 0.1, 1),
                    "y": y(d["cases"]),
                    "h": round(base - y(d["cases"]), 1),
                },
                "refunds": {
                    "x": round(x + slot * 0.1 + bar, 1),
                    "y": y(d["refunds"]),
                    "h": round(base - y(d["refunds"]), 1),
                },
                "counts": d,
            }
        )
        points.append(f"{round(x + slot / 2, 1)},{y(d['interventions'])}")
    every = max(1, -(-n // 8))
    ticks = [
        {"x": round(PAD_LEFT + i * slot + slot / 2, 1), "text": d["date"][5:]}
        for i, d in enumerate(per_day)
        if i % every == 0
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": PAD_LEFT,
        "base": base,
        "top_y": PAD_TOP,
        "mid_y": round(PAD_TOP + plot_h / 2, 1),
        "top": top,
        "mid": "" if top % 2 else top // 2,
        "bar": round(bar, 1),
        "days": days,
        "line": " ".join(points),
        "ticks": ticks,
    }


def bars(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Top reasons (``key`` = "reason_code", labelled) or SKUs as bars, the longest 100 % wide."""
    peak = max([1] + [row["count"] for row in rows])
    return [
        {
            "label": reason_label(row[key]) if key == "reason_code" else row[key],
            "count": row["count"],
            "percent": round(row["count"] * 100 / peak),
        }
        for row in rows
    ]


def view(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "report": report,
        "cards": cards(report),
        "chart": chart(report["per_day"]),
        "reasons": bars(report["top_reasons"], "reason_code"),
        "skus": bars(report["top_skus"], "sku"),
    }
