"""S11 — Business days, of acceptance.md: a refund initiated on 2026-09-30, the day before the National Day
holiday, is due by the end of the 3rd business day after it, on the mainland-China calendar (holidays skipped,
make-up working days counted). A year whose official schedule is not known yet still gets a due-by, and a
warning.

The 2026 schedule (State Council): 10-01 … 10-07 off, of which 10-06 and 10-07 are swapped for the working
Sunday 09-20 and the working Saturday 10-10. From Wednesday 09-30 the business days are Thu 10-08 (1),
Fri 10-09 (2) and Sat 10-10 (3, 补班): due by 24:00 on 10-10."""

import logging
from datetime import date

import holidays

from aftersales.core.calendar import BusinessCalendar
from tests.acceptance.support import when
from tests.factories import make_order, sh

SKU = "PHONE-CASE"


def _instant_refund(api, world, frozen, *, paid_at, applied_at) -> dict:
    """A refund_only on an order not yet shipped: the refund starts at once (极速退款) at ``applied_at``."""
    buyer, token = world.buyer()
    frozen.at(paid_at)
    order = make_order(world, buyer, shipped=False, paid_at=paid_at)
    b = api(token)
    frozen.at(applied_at)
    body = {"order_sn": order.order_sn, "type": "refund_only", "reason_code": "no_longer_needed",
            "items": [{"sku": SKU, "qty": 1}]}  # fmt: skip
    case = b.ok(b.post("/after-sales", body), 201)
    assert case["state"] == "refunding"
    assert when(case["refund"]["initiated_at"]) == applied_at
    return case


def test_s11_official_2026_schedule_has_national_day_and_make_up_days():
    # given the official 2026 schedule the calendar relies on
    china = holidays.China(years=2026)
    # then the holiday, the swapped days and the make-up working days are as published
    assert all(not china.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert china.is_working_day(date(2026, 9, 20))
    assert china.is_working_day(date(2026, 10, 10))
    assert not china.is_working_day(date(2026, 10, 11))


def test_s11_refund_initiated_2026_09_30_is_due_end_of_make_up_saturday(api, world, frozen):
    # given an order paid on 09-29 and not shipped yet
    # when the buyer asks for a refund on Wednesday 2026-09-30 at 15:00
    case = _instant_refund(api, world, frozen, paid_at=sh(2026, 9, 29, 20), applied_at=sh(2026, 9, 30, 15))

    # then it is due by the end of Saturday 10-10, the make-up working day after National Day
    assert when(case["refund"]["due_by"]) == sh(2026, 10, 11, 0)
    assert when(case["deadline_at"]) == sh(2026, 10, 11, 0)


def test_s11_refund_in_year_without_official_schedule_gets_due_by_and_warning(
    api, world, frozen, caplog, monkeypatch
):
    # given a year (2028) whose official holiday schedule is not published, not yet warned about
    monkeypatch.setattr("aftersales.core.calendar._warned", set())
    caplog.set_level(logging.WARNING, logger="aftersales.calendar")

    # when a refund starts on Wednesday 2028-03-15
    case = _instant_refund(api, world, frozen, paid_at=sh(2028, 3, 14, 20), applied_at=sh(2028, 3, 15, 10))

    # then it still has a due-by, on the estimated calendar: Thu 16, Fri 17, Mon 20
    assert when(case["refund"]["due_by"]) == sh(2028, 3, 21, 0)
    # and a warning names the year
    warnings = [r for r in caplog.records if r.name == "aftersales.calendar" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2028" in warnings[0].getMessage()


def test_s11_known_year_gives_no_warning(caplog, monkeypatch):
    # given the calendar of a year whose schedule is published
    monkeypatch.setattr("aftersales.core.calendar._warned", set())
    caplog.set_level(logging.WARNING, logger="aftersales.calendar")

    # when a due-by is worked out in it
    due = BusinessCalendar().due_by(sh(2026, 9, 30, 15), 3)

    # then it is the same end of 10-10, and nothing is logged
    assert due == sh(2026, 10, 11, 0)
    assert not [r for r in caplog.records if r.name == "aftersales.calendar"]
