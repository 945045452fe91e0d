"""Money is integer fen (分). 元 strings are parsed exactly, with Decimal, at the edge only."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Plain decimal notation, ASCII digits only: no exponent, no digit separators.
_YUAN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


class InvalidAmount(ValueError):
    pass


def yuan_to_fen(text: str) -> int:
    """``"19.90"`` → ``1990``. Refuses more than two decimals, exponents and non-numbers."""
    try:
        stripped = text.strip()
        value = Decimal(stripped)
    except (InvalidOperation, AttributeError) as exc:
        raise InvalidAmount(f"not an amount in yuan: {text!r}") from exc
    if not _YUAN.fullmatch(stripped):
        raise InvalidAmount(f"not an amount in yuan: {text!r}")
    if not value.is_finite():
        raise InvalidAmount(f"not an amount in yuan: {text!r}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise InvalidAmount(f"more than two decimals: {text!r}")
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    """``1990`` → ``"19.90"``; ``-5`` → ``"-0.05"``."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` fen over ``weights`` in proportion, exactly: the parts add up to ``total``
    (largest remainders get the spare fen). Used to spread a discounted payment over order lines."""
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total != 0:
            raise ValueError("cannot spread a non-zero total over weights that are all zero")
        return [0 for _ in weights]
    floors = [total * w // weight_sum for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (total * weights[i]) % weight_sum, reverse=True)
    for i in remainders[: total - sum(floors)]:
        floors[i] += 1
    return floors
