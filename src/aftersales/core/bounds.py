"""The largest numbers, and the earliest and latest times, a request or an imported line may carry: each a fact
of the domain, well inside what its column holds (64 bits for money, stock and ids; 32 for quantities and
versions; a time from which a deadline can still be counted), so that one past it is refused by name as bad input
instead of failing in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import Field

MAX_FEN = 10**12  # ¥10 000 000 000, far past any order; sums of many still fit 64 bits
MAX_QTY = 1_000_000  # of one SKU in one order line
MAX_STOCK = 10**12
MAX_VERSION = 2**31 - 1
MAX_ID = 2**63 - 1
# The times a request or a line may give (paid, shipped, signed for, a parcel's scan, a refund's settling):
# this century, so that a deadline counted from one is a time too.
FIRST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
END_OF_INSTANTS = datetime(2100, 1, 1, tzinfo=UTC)
# The same century as days (a report's range).
FIRST_DAY: date = FIRST_INSTANT.date()
LAST_DAY: date = (END_OF_INSTANTS - timedelta(days=1)).date()

Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]
# An amount a buyer asks for: the policy refuses one below zero or past what is refundable by its own code
# (``amount_exceeds_refundable``, with what was asked); this bounds it only.
AskedFen = Annotated[int, Field(ge=-MAX_FEN, le=MAX_FEN)]
Qty = Annotated[int, Field(ge=1, le=MAX_QTY)]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK)]
StockDelta = Annotated[int, Field(ge=-MAX_STOCK, le=MAX_STOCK)]
Version = Annotated[int, Field(ge=0, le=MAX_VERSION)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Instant = Annotated[datetime, Field(ge=FIRST_INSTANT, lt=END_OF_INSTANTS)]
