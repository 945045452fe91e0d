"""Read side for risk: rule 8's same-SKU counts, and the risk flags merchants and the platform see on a case
and on a buyer, each with its reason in words. Never writes.

Flags on a case:

- ``repeated_sku``: the buyer has applied for the case's SKU at least twice in the last 30 days, counted
  exactly as rule 8 counts (``same_sku_counts``); at 3 the next application closes the order's entry.
- ``return_not_picked_up``: the buyer's return parcel had no carrier pickup scan within 48 hours after its
  tracking number was entered (the fake-shipment signal of domain.md section 9).

Flags on a buyer (for a merchant, counted in the merchant's shop only; for the platform, in every shop):

- ``refund_only_share``: at least 3 of the buyer's orders paid in the last 90 days, and at least half of
  them, had a refund-only (仅退款) request.
- ``many_cases``: 3 or more applications in the last 3 days.

Every function takes a batch and makes one query per flag kind, whatever the number of cases or buyers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, gettext_noop

from aftersales.cases import policy
from aftersales.cases import transitions as t
from aftersales.cases.models import AfterSale
from aftersales.core import clock, rows
from aftersales.logistics.models import RETURN, Shipment

REPEATED_SKU_FROM = 2
NO_PICKUP_HOURS = 48
REFUND_ONLY_DAYS = 90
REFUND_ONLY_MIN_ORDERS = 3
REFUND_ONLY_SHARE_PERCENT = 50
MANY_CASES = 3
MANY_CASES_DAYS = 3

# Marked for translation here, translated when a flag is made (``_flag``), in the caller's language.
MESSAGES = {
    "repeated_sku": gettext_noop(
        "The buyer has applied for after-sales on %(sku)s %(count)s times in %(days)s days; "
        "from %(limit)s, one more application closes the order's after-sales entry."
    ),
    "return_not_picked_up": gettext_noop(
        "The return parcel %(carrier)s %(tracking_no)s had no pickup scan within %(hours)s hours "
        "after its tracking number was entered."
    ),
    "refund_only_share": gettext_noop(
        "%(refund_only)s of the buyer's %(orders)s orders in the last %(days)s days had a refund-only "
        "request (%(percent)s%%)."
    ),
    "many_cases": gettext_noop(
        "The buyer opened %(count)s after-sales applications in the last %(days)s days."
    ),
}

Flag = dict[str, Any]
SkuKey = tuple[int, int, str]  # (shop_id, buyer_id, sku)


def same_sku_counts(keys: Iterable[SkuKey], *, now: datetime) -> dict[SkuKey, int]:
    """Rule 8's count for each (shop, buyer, SKU): the buyer's applications naming the SKU in the last
    ``ABUSE_DAYS`` days, leaving out those made before the platform last cleared a suspicion for that SKU.
    Merchant-proposed reships are not the buyer's applications and do not count. One query."""
    wanted = set(keys)
    if not wanted:
        return {}
    (found,) = rows.read_together(same_sku_statement(wanted, now=now))
    return same_sku_from(found, wanted)


def same_sku_statement(keys: set[SkuKey], *, now: datetime) -> rows.Statement:
    """The statement behind ``same_sku_counts``, for a command that reads it with others."""
    shops, buyers, skus = (sorted({k[i] for k in keys}) for i in range(3))
    # Driven from the buyers' recent cases (index on buyer, created_at), so the cost follows the buyers on
    # the page, not the shop's history. Written out, as the commands run it on every application. The unary
    # plus keeps a planner without statistics (SQLite) from driving it by the shop's cases instead.
    sql = f"""
        SELECT c.shop_id, c.buyer_id, ci.sku_code, COUNT(DISTINCT c.id)
        FROM cases_aftersale c JOIN cases_caseitem ci ON ci.case_id = c.id
        WHERE c.buyer_id IN ({rows.marks(len(buyers))}) AND c.created_at >= %s AND +c.shop_id IN ({rows.marks(len(shops))})
          AND c.counts_as_application AND ci.sku_code IN ({rows.marks(len(skus))})
          AND NOT EXISTS (
            SELECT 1 FROM risk_riskrecord r
            WHERE r.shop_id = c.shop_id AND r.buyer_id = c.buyer_id AND r.sku_code = ci.sku_code
              AND r.resolved_at > c.created_at)
        GROUP BY c.shop_id, c.buyer_id, ci.sku_code"""
    since = rows.stamp(now - timedelta(days=policy.ABUSE_DAYS))
    return sql, [*buyers, since, *shops, *skus]


def same_sku_from(found: list[tuple[Any, ...]], keys: set[SkuKey]) -> dict[SkuKey, int]:
    counts = {(int(shop), int(buyer), str(sku)): int(n) for shop, buyer, sku, n in found}
    return {key: counts.get(key, 0) for key in keys}


def case_flags(case: AfterSale, *, now: datetime | None = None) -> list[Flag]:
    """The flags on one case (not its buyer's: see ``buyer_flags``)."""
    return flags_for_cases([case], now=now)[case.pk]


def buyer_flags(buyer_id: int, *, shop_id: int | None = None, now: datetime | None = None) -> list[Flag]:
    """The flags on one buyer, counted in ``shop_id`` only when it is given."""
    return flags_for_buyers([buyer_id], shop_id=shop_id, now=now)[buyer_id]


def flags_for_cases(cases: Sequence[AfterSale], *, now: datetime | None = None) -> dict[int, list[Flag]]:
    return _flags([facts_of(c) for c in cases], [], None, now or clock.now())[0]


def flags_for_buyers(
    buyer_ids: Iterable[int], *, shop_id: int | None = None, now: datetime | None = None
) -> dict[int, list[Flag]]:
    return _flags([], list(dict.fromkeys(buyer_ids)), shop_id, now or clock.now())[1]


def risk_flags_for(
    cases: Sequence[AfterSale], *, shop_id: int | None = None, now: datetime | None = None
) -> dict[int, list[Flag]]:
    """What a case's JSON shows: the case's flags, then its buyer's. At most four statements for any number
    of cases, sent together (one round trip on PostgreSQL)."""
    return flags_of_facts([facts_of(c) for c in cases], shop_id=shop_id, now=now)


def flags_of_facts(
    cases: Sequence[CaseFacts], *, shop_id: int | None = None, now: datetime | None = None
) -> dict[int, list[Flag]]:
    """``risk_flags_for`` of cases given by what the flags ask of them (a page read as values)."""
    on_cases, on_buyers = _flags(cases, None, shop_id, now or clock.now())
    return {c.id: on_cases[c.id] + on_buyers[c.buyer_id] for c in cases}


class CaseFacts(NamedTuple):
    """What the flags ask of a case: its ids, its SKUs, its shop's time zone (asked only for a late parcel),
    and its return parcels as values when they were read with it (None: the flags read them)."""

    id: int
    shop_id: int
    buyer_id: int
    skus: list[str]
    time_zone: Callable[[], str]
    parcels: list[Mapping[str, Any]] | None


def facts_of(case: AfterSale) -> CaseFacts:
    """A case's ``CaseFacts``, from its items and parcels as they were read with it (else read now)."""
    read = rows.attached(case, "shipments")
    return CaseFacts(
        case.pk,
        case.shop_id,
        case.buyer_id,
        sorted({i.sku_code for i in rows.related_rows(case, "items")}),
        lambda: case.shop.time_zone,
        None if read is None else [vars(s) for s in read if s.kind == RETURN],
    )


def _flags(
    cases: Sequence[CaseFacts], buyer_ids: list[int] | None, shop_id: int | None, now: datetime
) -> tuple[dict[int, list[Flag]], dict[int, list[Flag]]]:
    """The flags on ``cases`` and on ``buyer_ids`` (None: the cases' own buyers), each kind from one
    statement, all read together."""
    if buyer_ids is None:
        buyer_ids = list(dict.fromkeys(c.buyer_id for c in cases))
    on_cases: dict[int, list[Flag]] = {c.id: [] for c in cases}
    on_buyers: dict[int, list[Flag]] = {buyer_id: [] for buyer_id in buyer_ids}
    keys = {(c.shop_id, c.buyer_id, sku) for c in cases for sku in c.skus}
    unread = any(c.parcels is None for c in cases)
    parcels_q = rows.query(Shipment, case_id=[c.id for c in cases], kind=RETURN) if unread else None
    statements = [
        same_sku_statement(keys, now=now) if keys else None,
        parcels_q.statement if parcels_q is not None else None,
        refund_only_statement(buyer_ids, shop_id, now) if buyer_ids else None,
        _many_cases_statement(buyer_ids, shop_id, now) if buyer_ids else None,
    ]
    found = iter(rows.read_together(*(st for st in statements if st is not None)))
    answers = [next(found) if st is not None else [] for st in statements]
    counts = same_sku_from(answers[0], keys)
    words = _Words()
    for c in cases:
        for sku in c.skus:
            count = counts[(c.shop_id, c.buyer_id, sku)]
            if count >= REPEATED_SKU_FROM:
                params = {"sku": sku, "count": count, "days": policy.ABUSE_DAYS, "limit": policy.ABUSE_CASES}
                on_cases[c.id].append(_flag("repeated_sku", params, words))
    parcels = (
        parcels_q.values(answers[1]) if parcels_q is not None else [p for c in cases for p in c.parcels or []]
    )
    _return_not_picked_up(cases, parcels, now, on_cases, words)
    _refund_only_share(answers[2], on_buyers, words)
    _many_cases(answers[3], on_buyers, words)
    return on_cases, on_buyers


class _Words(dict[str, str]):
    """The flags' reasons in the caller's language, each translated once per reading of flags (a page of
    cases shows the same few reasons again and again)."""

    def __missing__(self, code: str) -> str:
        self[code] = found = gettext(MESSAGES[code])
        return found


def _flag(code: str, params: dict[str, Any], words: _Words) -> Flag:
    """A flag with its reason in the caller's language; ``params`` are the numbers the reason names."""
    return {"code": code, "message": words[code] % params, "params": params}


def _return_not_picked_up(
    cases: Sequence[CaseFacts],
    parcels: Sequence[Mapping[str, Any]],
    now: datetime,
    flags: dict[int, list[Flag]],
    words: _Words,
) -> None:
    late = timedelta(hours=NO_PICKUP_HOURS)
    by_id = {case.id: case for case in cases}
    for parcel in sorted(parcels, key=lambda p: p["id"]):
        shipped_at, picked_up_at = parcel["shipped_at"], parcel["picked_up_at"]
        if shipped_at is None or shipped_at > now - late:
            continue
        if picked_up_at is not None and picked_up_at <= shipped_at + late:
            continue
        tz = ZoneInfo(by_id[parcel["case_id"]].time_zone())
        params = {
            "carrier": parcel["carrier"],
            "tracking_no": parcel["tracking_no"],
            "hours": NO_PICKUP_HOURS,
            "entered_at": shipped_at.astimezone(tz).isoformat(),
        }
        flags[parcel["case_id"]].append(_flag("return_not_picked_up", params, words))


def refund_only_statement(buyer_ids: list[int], shop_id: int | None, now: datetime) -> rows.Statement:
    """Per buyer: orders paid in the last REFUND_ONLY_DAYS days, and how many of them had a refund-only case.
    Each order counted once; both reads stay in indexes (``order_shop_buyer`` holds the time paid,
    ``case_order`` the case's type)."""
    sql = f"""
        SELECT o.buyer_id, COUNT(*),
               COUNT(CASE WHEN EXISTS (SELECT 1 FROM cases_aftersale c
                                       WHERE c.shop_id = o.shop_id AND c.order_id = o.id AND c.type = %s)
                          THEN 1 END)
        FROM orders_order o
        WHERE o.buyer_id IN ({rows.marks(len(buyer_ids))}) AND o.paid_at > %s AND o.paid_at <= %s
          {"AND o.shop_id = %s" if shop_id is not None else ""}
        GROUP BY o.buyer_id"""
    params = [t.REFUND_ONLY, *buyer_ids, rows.stamp(now - timedelta(days=REFUND_ONLY_DAYS)), rows.stamp(now)]
    return sql, params + ([shop_id] if shop_id is not None else [])


def _refund_only_share(found: list[tuple[Any, ...]], flags: dict[int, list[Flag]], words: _Words) -> None:
    for buyer_id, total, refund_only in found:
        total, refund_only = int(total), int(refund_only)
        if refund_only < REFUND_ONLY_MIN_ORDERS or refund_only * 100 < total * REFUND_ONLY_SHARE_PERCENT:
            continue
        params = {
            "refund_only": refund_only,
            "orders": total,
            "percent": refund_only * 100 // total,
            "days": REFUND_ONLY_DAYS,
        }
        flags[int(buyer_id)].append(_flag("refund_only_share", params, words))


def _many_cases_statement(buyer_ids: list[int], shop_id: int | None, now: datetime) -> rows.Statement:
    """Per buyer: applications in the last MANY_CASES_DAYS days (from the index on buyer, created_at)."""
    sql = f"""
        SELECT buyer_id, COUNT(*) FROM cases_aftersale
        WHERE buyer_id IN ({rows.marks(len(buyer_ids))}) AND counts_as_application AND created_at > %s AND created_at <= %s
          {"AND +shop_id = %s" if shop_id is not None else ""}
        GROUP BY buyer_id"""
    params = [*buyer_ids, rows.stamp(now - timedelta(days=MANY_CASES_DAYS)), rows.stamp(now)]
    return sql, params + ([shop_id] if shop_id is not None else [])


def _many_cases(found: list[tuple[Any, ...]], flags: dict[int, list[Flag]], words: _Words) -> None:
    for buyer_id, count in found:
        if int(count) >= MANY_CASES:
            params = {"count": int(count), "days": MANY_CASES_DAYS}
            flags[int(buyer_id)].append(_flag("many_cases", params, words))
