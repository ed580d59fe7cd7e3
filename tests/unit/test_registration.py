import pytest

from aftercare.domain.registration import (
    check_digit,
    format_registration_number,
    is_valid_registration_number,
    normalize_registration_number,
)


@pytest.mark.parametrize(
    "number",
    [
        "2208162517",  # a published number (Naver Corp.)
        "220-81-62517",  # dashes are allowed on input
        "1248100998",  # Samsung Electronics
        "124-81-00998",
        "1010000002",  # a 0 ninth digit adds no tens term
    ],
)
def test_valid_numbers_pass(number):
    assert is_valid_registration_number(number)


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("2208162518", "wrong check digit"),
        ("2208162510", "wrong check digit"),
        ("220816251", "nine digits"),
        ("22081625170", "eleven digits"),
        ("22O8162517", "letter O instead of zero"),
        ("", "empty"),
        ("２２０８１６２５１７", "full-width digits"),
    ],
)
def test_invalid_numbers_fail(number, why):
    assert not is_valid_registration_number(number), why


def test_ninth_digit_tens_term_is_added():
    # 9th digit 9: 9*5 = 45 adds 4 (tens digit) besides the weighted 9*5.
    first_nine = "000000009"
    weighted = 9 * 5
    expected = (10 - (weighted + 4) % 10) % 10
    assert check_digit(first_nine) == expected == 1


def test_every_first_nine_has_exactly_one_valid_tenth_digit():
    first_nine = "123456789"
    valid = [d for d in range(10) if is_valid_registration_number(first_nine + str(d))]
    assert valid == [check_digit(first_nine)]


def test_normalize_and_format_round_trip():
    assert normalize_registration_number(" 220-81-62517 ") == "2208162517"
    assert format_registration_number("2208162517") == "220-81-62517"
