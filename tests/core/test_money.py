"""Money as integer fen: exact conversion from and to 元 strings, and exact allocation."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aftersales.core.money import InvalidAmount, allocate, fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("19.90", 1990),
        ("19.9", 1990),
        ("0.01", 1),
        ("0", 0),
        ("0.00", 0),
        ("100", 10000),
        ("  5.50 ", 550),
        ("12345678.99", 1234567899),
        ("1.10", 110),
    ],
)
def test_yuan_to_fen_converts_exactly_when_at_most_two_decimals(text, fen):
    # given a 元 string as the list API sends it
    # when it is converted
    result = yuan_to_fen(text)
    # then it is the exact number of fen, as an int
    assert result == fen
    assert type(result) is int


def test_yuan_to_fen_is_exact_where_float_is_not():
    # given amounts whose float value is not exact (0.29 * 100 == 28.999999999999996)
    # when converted
    # then no fen is lost
    assert yuan_to_fen("0.29") == 29
    assert yuan_to_fen("1.13") == 113
    assert yuan_to_fen("4.35") == 435


@pytest.mark.parametrize(
    "text",
    ["19.999", "0.001", "1.005"],
)
def test_yuan_to_fen_refuses_more_than_two_decimals(text):
    # given an amount finer than one fen
    # when converted
    # then it is refused rather than rounded
    with pytest.raises(InvalidAmount):
        yuan_to_fen(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "abc",
        "1,000.00",
        "¥19.90",
        "19.90元",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "sNaN",
        "0x10",
        "1_000",
        "１９.９０",
    ],
)
def test_yuan_to_fen_refuses_non_numbers(text):
    # given text that is not an amount
    # when converted
    # then it is refused
    with pytest.raises(InvalidAmount):
        yuan_to_fen(text)


@pytest.mark.parametrize("text", ["1e2", "1E2", "1.5e1", "1e-2", "2E+1"])
def test_yuan_to_fen_refuses_exponents(text):
    # given an amount written with an exponent
    # when converted
    # then it is refused (the list API never sends one; accepting it would hide a parsing error)
    with pytest.raises(InvalidAmount):
        yuan_to_fen(text)


def test_yuan_to_fen_refuses_none():
    # given no text at all
    # when converted
    # then it is refused with the module's own error
    with pytest.raises(InvalidAmount):
        yuan_to_fen(None)  # type: ignore[arg-type]


def test_invalid_amount_is_a_value_error():
    # given the refusal type
    # then callers catching ValueError also catch it
    assert issubclass(InvalidAmount, ValueError)


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (1990, "19.90"),
        (5, "0.05"),
        (0, "0.00"),
        (100, "1.00"),
        (1, "0.01"),
        (-5, "-0.05"),
        (-1990, "-19.90"),
        (1234567899, "12345678.99"),
    ],
)
def test_fen_to_yuan_writes_two_decimals(fen, text):
    # given an amount in fen
    # when written in 元
    # then it has exactly two decimals and a sign only when negative
    assert fen_to_yuan(fen) == text


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_fen_to_yuan_round_trips_through_yuan_to_fen(fen):
    # given any amount in fen
    # when written in 元 and read back
    # then it is unchanged
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (1000, [1990, 1990], [500, 500]),
        (3000, [2000, 1000], [2000, 1000]),
        (1, [1, 1], [1, 0]),
        (0, [5, 7], [0, 0]),
        (10, [0, 3], [0, 10]),
        (7, [1], [7]),
        (101, [1, 2, 2], [20, 41, 40]),
    ],
)
def test_allocate_splits_in_proportion_and_adds_up(total, weights, parts):
    # given a total in fen and the weights of the lines
    # when allocated
    result = allocate(total, weights)
    # then the parts are proportional, the spare fen go to the largest remainders, and nothing is lost
    assert result == parts
    assert sum(result) == total


def test_allocate_gives_nothing_for_no_weights():
    # given no lines
    # when allocated
    # then there are no parts
    assert allocate(0, []) == []


def test_allocate_of_zero_over_zero_weights_is_all_zero():
    # given free lines and nothing paid
    # when allocated
    # then every line gets zero
    assert allocate(0, [0, 0]) == [0, 0]


def test_allocate_refuses_a_total_it_cannot_spread_over_zero_weights():
    # given money to spread but lines that all weigh nothing
    # when allocated
    # then it is refused rather than losing the money
    with pytest.raises(ValueError):
        allocate(100, [0, 0])


def test_allocate_refuses_negative_weights():
    # given a line with a negative weight
    # when allocated
    # then it is refused (a negative share would hand out more than the total on the other lines)
    with pytest.raises(ValueError):
        allocate(100, [3, -1])


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=1, max_value=10**7), min_size=1, max_size=12),
)
def test_allocate_is_exact_and_each_part_within_one_fen_of_its_share(total, weights):
    # given any total and positive weights
    # when allocated
    parts = allocate(total, weights)
    # then the parts add up exactly and none is more than one fen off its exact share
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert exact - 1 < part < exact + 1
        assert part >= 0
