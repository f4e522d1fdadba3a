"""NPIs: ten digits whose last is the Luhn check digit over the 80840 prefix and the first nine (CMS)."""

import pytest

from service.rules.npi import is_valid_npi, npi_check_digit


@pytest.mark.parametrize("npi", [
    "1234567893",  # the worked example in CMS's "NPI check digit" paper
    "1003000126",
    "1497758544",
    "1588449037",
    "2000000002",
    "1700000007",
])
def test_an_npi_whose_tenth_digit_is_the_luhn_check_digit_over_80840_is_valid(npi):
    assert is_valid_npi(npi)


@pytest.mark.parametrize(("npi", "why"), [
    ("1234567890", "ten digits, wrong check digit"),
    ("1234567894", "check digit off by one"),
    ("1003000127", "check digit off by one"),
    ("2134567893", "two digits swapped, which the Luhn check catches"),
    ("0000000000", "Luhn over the bare digits would pass; with the 80840 prefix it does not"),
    ("123456789", "nine digits"),
    ("12345678930", "eleven digits"),
    ("", "empty"),
    (" 123456789", "a space"),
    ("123456789-", "a dash"),
    ("12345678a3", "a letter"),
    ("１２３４５６７８９３", "full-width digits are digits to Python, not to CMS"),
    ("١٢٣٤٥٦٧٨٩٣", "Arabic-Indic digits"),
    (1234567893, "a number, not a string"),
    (None, "nothing"),
])
def test_anything_else_is_not_an_npi(npi, why):
    assert not is_valid_npi(npi), why


@pytest.mark.parametrize(("first_nine", "check"), [("123456789", 3), ("100300012", 6), ("200000000", 2)])
def test_the_check_digit_is_computed_with_the_80840_prefix(first_nine, check):
    assert npi_check_digit(first_nine) == check
