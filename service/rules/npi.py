"""National Provider Identifier: the format CMS issues (10 digits, the last a Luhn check digit over "80840" + the
first nine: the ISO 7812 card issuer prefix for US health applications)."""

from __future__ import annotations

PREFIX = "80840"


def npi_check_digit(first_nine: str) -> int:
    """The tenth digit CMS gives an NPI whose first nine digits are `first_nine`."""
    total = 0
    # Luhn from the right of prefix + nine digits: the rightmost of them (next to the check digit) is doubled.
    for position, char in enumerate(reversed(PREFIX + first_nine)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10


def is_valid_npi(value: object) -> bool:
    """Ten ASCII digits whose last is the Luhn check digit of "80840" and the first nine."""
    if not isinstance(value, str) or len(value) != 10 or not (value.isascii() and value.isdigit()):
        return False
    return npi_check_digit(value[:9]) == int(value[9])
