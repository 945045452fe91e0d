"""Bulk import of orders with their items, and optionally their past cases, from JSON Lines.

The path a shop's history or a platform sync takes: each batch is validated whole, then written as plain rows
(``executemany``) in one transaction; a bad line stops the import with its line number and nothing of its
batch is loaded (earlier batches stay). One line:

    {"shop": "CODE", "order_sn": "…", "buyer_id": "…", "receiver": {"name", "phone", "address"},
     "items": [{"sku", "qty", "unit_price_fen"}], "freight_fen": 0, "paid_fen": 1990,
     "paid_at": "2026-11-01T10:00:00+08:00", "shipped_at": null, "carrier": null, "tracking_no": null,
     "signed_at": null, "return_freight_insured": false,
     "cases": [{"type", "state", "close_reason"?, "reason_code", "items": [{"sku", "qty"}], "refund_fen"?,
                "created_at", "updated_at"?}]}

Buyers and SKUs the shop does not know yet are created (a SKU named after its code, priced as first seen,
with no stock). Imported cases keep the state they had and get one ``import`` event; a non-final one may
carry its ``deadline_at`` (e.g. the platform's ``expire_time``), which becomes its pending timer like any
other."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils.translation import gettext as _

from aftersales.accounts.models import Buyer, Shop
from aftersales.catalog.models import Sku
from aftersales.core import clock
from aftersales.core.money import allocate
from aftersales.core.rows.bulk import Insert, Row, select_in
from aftersales.orders.import_cases import CaseTables, OrderCases
from aftersales.orders.import_shapes import BadLine, Line, parse_line
from aftersales.orders.models import Order, OrderItem

__all__ = ["BATCH", "BadLine", "Summary", "import_lines", "read_json_lines"]

BATCH = 2000

Parsed = list[tuple[int, Line]]


@dataclass
class Summary:
    orders: int = 0
    items: int = 0
    cases: int = 0
    batches: int = 0
    skus_created: int = 0
    buyers_created: int = 0


def import_lines(
    lines: Iterable[str | bytes],
    *,
    batch_size: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Loads ``lines`` batch by batch; ``progress`` hears how many lines (blank ones too) each batch took."""
    summary = Summary()
    loader = _Loader(summary)
    for read, batch in _batches(lines, batch_size):
        if batch:
            parsed = [(number, parse_line(number, raw)) for number, raw in batch]
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    loader.load(cursor, parsed)
            except IntegrityError:
                # Most likely an order already there (perhaps just written by another import): name its line.
                _refuse_known_orders(parsed)
                raise
            summary.batches += 1
        if progress is not None:
            progress(read)
    return summary


def _batches(lines: Iterable[str | bytes], size: int) -> Iterator[tuple[int, list[tuple[int, str | bytes]]]]:
    """Batches of ``size`` non-blank lines with their numbers, each with how many lines were read for it; blank
    lines after the last batch come as an empty one."""
    batch: list[tuple[int, str | bytes]] = []
    number = taken = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        batch.append((number, raw))
        if len(batch) >= size:
            yield number - taken, batch
            taken, batch = number, []
    if batch or number > taken:
        yield number - taken, batch


class _Loader:
    """Writes validated batches; remembers the shops, buyers and SKUs it has seen across batches."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.shops = dict(Shop.objects.values_list("code", "id"))
        self.buyers: dict[str, int] = {}
        self.skus: dict[tuple[int, str], int] = {}
        self.new_buyers = Insert(Buyer, ("external_id",), connection, same=("created_at",))
        self.new_skus = Insert(
            Sku,
            ("shop_id", "sku", "name", "price_fen"),
            connection,
            same=("stock", "created_at", "updated_at"),
        )
        self.orders = Insert(Order, (
            "shop_id", "order_sn", "buyer_id", "receiver_name", "receiver_phone", "receiver_address", "freight_fen",
            "paid_fen", "paid_at", "shipped_at", "carrier", "tracking_no", "signed_at", "return_freight_insured",
        ), connection, same=("created_at",))  # fmt: skip
        self.items = Insert(
            OrderItem,
            ("shop_id", "order_id", "sku_id", "sku_code", "qty", "unit_price_fen", "paid_fen"),
            connection,
        )
        self.cases = CaseTables(connection)

    def load(self, cursor: CursorWrapper, parsed: Parsed) -> None:
        """Writes one batch; an order already in the database fails it with the unique key on ``order_sn``."""
        shop_ids = self._shop_ids(parsed)
        _refuse_repeated_orders(parsed)
        now = clock.now()
        self._ensure_buyers(cursor, {line["buyer_id"] for _, line in parsed}, now)
        self._ensure_skus(cursor, parsed, shop_ids, now)
        buyers = self.buyers
        self.summary.orders += self.orders.run(cursor, [
            (shop_id, line["order_sn"], buyers[line["buyer_id"]], line["receiver"].name, line["receiver"].phone,
             line["receiver"].address, line.get("freight_fen", 0), line["paid_fen"], line["paid_at"],
             line.get("shipped_at") or line.get("signed_at"), line.get("carrier") or "",
             line.get("tracking_no") or "", line.get("signed_at"), line.get("return_freight_insured", False))
            for shop_id, (_, line) in zip(shop_ids, parsed, strict=True)
        ], created_at=now)  # fmt: skip
        order_ids: dict[str, int] = dict(
            select_in(cursor, Order, ("order_sn", "id"), "order_sn", [line["order_sn"] for _, line in parsed])
        )
        items: list[Row] = []
        with_cases: list[OrderCases] = []
        for shop_id, (_number, line) in zip(shop_ids, parsed, strict=True):
            order_id = order_ids[line["order_sn"]]
            items += self._item_rows(shop_id, order_id, line)
            if line.get("cases"):
                with_cases.append(OrderCases(shop_id, order_id, line["order_sn"], buyers[line["buyer_id"]],
                                             line.get("return_freight_insured", False), line["cases"]))  # fmt: skip
        self.summary.items += self.items.run(cursor, items)
        self.summary.cases += self.cases.load(cursor, with_cases)

    def _item_rows(self, shop_id: int, order_id: int, line: Line) -> list[Row]:
        lines = line["items"]
        goods = line["paid_fen"] - line.get("freight_fen", 0)
        # A single line is paid all of it, as allocate would say.
        shares = [goods] if len(lines) == 1 else allocate(goods, [i.unit_price_fen * i.qty for i in lines])
        skus = self.skus
        return [
            (shop_id, order_id, skus[(shop_id, i.sku)], i.sku, i.qty, i.unit_price_fen, share)
            for i, share in zip(lines, shares, strict=True)
        ]

    def _shop_ids(self, parsed: Parsed) -> list[int]:
        shops = self.shops
        for number, line in parsed:
            if line["shop"] not in shops:
                raise BadLine(line=number, message=_("unknown shop '%(shop)s'") % {"shop": line["shop"]})
        return [shops[line["shop"]] for _, line in parsed]

    def _ensure_buyers(self, cursor: CursorWrapper, wanted: set[str], now: datetime) -> None:
        missing = wanted - self.buyers.keys()
        if not missing:
            return
        found: dict[str, int] = dict(select_in(cursor, Buyer, ("external_id", "id"), "external_id", missing))
        new = sorted(missing - found.keys())
        if new:
            self.new_buyers.run(cursor, [(b,) for b in new], created_at=now)
            found.update(select_in(cursor, Buyer, ("external_id", "id"), "external_id", new))
            self.summary.buyers_created += len(new)
        self.buyers.update(found)

    def _ensure_skus(self, cursor: CursorWrapper, parsed: Parsed, shop_ids: list[int], now: datetime) -> None:
        wanted: dict[tuple[int, str], int] = {}
        for shop_id, (_number, line) in zip(shop_ids, parsed, strict=True):
            for i in line["items"]:
                wanted.setdefault((shop_id, i.sku), i.unit_price_fen)
        missing = [key for key in wanted if key not in self.skus]
        for shop_id in sorted({shop for shop, _sku in missing}):
            codes = [sku for shop, sku in missing if shop == shop_id]
            found: dict[str, int] = dict(
                select_in(cursor, Sku, ("sku", "id"), "sku", codes, also=("shop_id", shop_id))
            )
            new = [code for code in codes if code not in found]
            if new:
                self.new_skus.run(
                    cursor, [(shop_id, code, code, wanted[(shop_id, code)]) for code in new],
                    stock=0, created_at=now, updated_at=now,
                )  # fmt: skip
                found.update(select_in(cursor, Sku, ("sku", "id"), "sku", new, also=("shop_id", shop_id)))
                self.summary.skus_created += len(new)
            self.skus.update(((shop_id, code), pk) for code, pk in found.items())


def _refuse_repeated_orders(parsed: Parsed) -> None:
    seen: set[str] = set()
    for number, line in parsed:
        if line["order_sn"] in seen:
            raise BadLine(
                line=number, message=_("order %(order_sn)s appears twice") % {"order_sn": line["order_sn"]}
            )
        seen.add(line["order_sn"])


def _refuse_known_orders(parsed: Parsed) -> None:
    """``BadLine`` for the first line whose order is already in the database, if one is."""
    with connection.cursor() as cursor:
        sns = [line["order_sn"] for _, line in parsed]
        existing = {sn for (sn,) in select_in(cursor, Order, ("order_sn",), "order_sn", sns)}
    for number, line in parsed:
        if line["order_sn"] in existing:
            message = _("Order %(order_sn)s already exists.") % {"order_sn": line["order_sn"]}
            raise BadLine(line=number, message=message)


def read_json_lines(path: str) -> Iterator[bytes]:
    """The file's lines as bytes: the JSON parser reads UTF-8 itself."""
    with open(path, "rb") as handle:
        yield from handle
