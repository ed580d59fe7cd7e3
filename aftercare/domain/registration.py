"""Korean business registration number (사업자등록번호) check digit."""

from __future__ import annotations

WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def normalize_registration_number(raw: str) -> str:
    """Strip dashes and spaces: numbers are stored as 10 bare digits."""
    return raw.replace("-", "").replace(" ", "").strip()


def check_digit(first_nine: str) -> int:
    """Compute the 10th digit from the first nine by the official weights."""
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True))
    total += (digits[8] * 5) // 10
    return (10 - total % 10) % 10


def is_valid_registration_number(raw: str) -> bool:
    """True when `raw` (dashes allowed) is 10 digits with the right check digit."""
    number = normalize_registration_number(raw)
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:9]) == int(number[9])


def format_registration_number(number: str) -> str:
    """Show a stored number the usual way: 123-45-67890."""
    return f"{number[:3]}-{number[3:5]}-{number[5:]}" if len(number) == 10 else number
