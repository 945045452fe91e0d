"""Carriers and their tracking-number formats (domain.md section 9): one number that fits and one that does not
for each carrier, and a carrier nobody knows."""

import pytest

from aftersales.core.errors import InvalidTrackingNo, UnknownCarrier
from aftersales.logistics.carriers import CARRIERS, validate_tracking_no

VALID = [
    ("SF", "SF1234567890123"),
    ("ZTO", "773312345678"),
    ("ZTO", "773312345678901"),
    ("YTO", "YT1234567890123"),
    ("STO", "268812345678"),
    ("STO", "2688123456789"),
    ("YD", "4312345678901"),
    ("YD", "431234567890123"),
    ("JT", "JT1234567890123"),
    ("JD", "JDVA12345678901"),
    ("JD", "JD12345678901"),
    ("JD", "JDabcdefgh12345678"),
    ("EMS", "1234567890123"),
    ("EMS", "EA123456789CN"),
]

INVALID = [
    ("SF", "SF123456789012"),  # 12 digits after SF
    ("SF", "1234567890123"),  # no prefix
    ("ZTO", "7733123456789"),  # 13 digits
    ("ZTO", "77331234567a"),  # a letter
    ("YTO", "YT12345678901234"),  # 14 digits after YT
    ("YTO", "YD1234567890123"),  # wrong prefix
    ("STO", "26881234567"),  # 11 digits
    ("STO", "26881234567890"),  # 14 digits
    ("YD", "431234567890"),  # 12 digits
    ("YD", "43123456789012"),  # 14 digits
    ("JT", "JT123456789012"),  # 12 digits after JT
    ("JD", "JD1234567890"),  # 10 after JD
    ("JD", "JD12345678901234567"),  # 17 after JD
    ("JD", "JD1234-5678901"),  # not a letter or digit
    ("EMS", "EA12345678CN"),  # 8 digits between the letters
    ("EMS", "123456789012"),  # 12 digits
    ("ZTO", ""),  # nothing
    ("ZTO", " 773312345678"),  # a space in front
    ("ZTO", "773312345678\n"),  # a newline behind
]


def test_every_carrier_of_the_domain_is_known():
    # given the carriers of domain.md section 9
    expected = {"SF", "ZTO", "YTO", "STO", "YD", "JT", "JD", "EMS"}

    # when the table is read
    known = set(CARRIERS)

    # then each has a name and a format to show
    assert known == expected
    assert all(c.name and c.format for c in CARRIERS.values())


@pytest.mark.parametrize(("carrier", "tracking_no"), VALID)
def test_tracking_no_that_fits_the_format_is_accepted(carrier, tracking_no):
    # given a tracking number in the carrier's format
    # when it is validated
    found = validate_tracking_no(carrier, tracking_no)

    # then the carrier is returned
    assert found.code == carrier
    assert found is CARRIERS[carrier]


@pytest.mark.parametrize(("carrier", "tracking_no"), INVALID)
def test_tracking_no_that_fits_no_format_is_refused(carrier, tracking_no):
    # given a tracking number not in the carrier's format
    # when it is validated
    with pytest.raises(InvalidTrackingNo) as refused:
        validate_tracking_no(carrier, tracking_no)

    # then it is refused with invalid_tracking_no, naming the carrier and its format
    assert refused.value.code == "invalid_tracking_no"
    assert refused.value.status == 422
    assert refused.value.params["carrier"] == carrier
    assert refused.value.params["format"] == CARRIERS[carrier].format


@pytest.mark.parametrize("carrier", ["DHL", "sf", "zto", "", "SF "])
def test_unknown_carrier_is_refused(carrier):
    # given a carrier code not in the table (codes are exact)
    # when a number is validated for it
    with pytest.raises(UnknownCarrier) as refused:
        validate_tracking_no(carrier, "SF1234567890123")

    # then it is refused with unknown_carrier, listing the known ones
    assert refused.value.code == "unknown_carrier"
    assert refused.value.status == 422
    assert refused.value.params["known_carriers"] == sorted(CARRIERS)
