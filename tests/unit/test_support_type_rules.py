"""The rules a fiscal year's support type row keeps (aftercare.domain.support_types)."""

from __future__ import annotations

import pytest

from aftercare.domain.support_types import money_changes, opening_types, support_type_errors

VALID = {
    "code": "subscription",
    "name_ko": "구독형",
    "name_en": "Subscription",
    "cap": 7_000_000,
    "share_rate_bp": 5000,
    "rounding_unit": 1000,
    "project_months": 6,
    "extension_months": 2,
}


def test_a_valid_row_has_no_errors():
    assert support_type_errors(VALID) == {}
    assert support_type_errors(VALID | {"is_open": False}) == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "S"),
        ("code", "1abc"),
        ("code", "a" * 17),
        ("code", "types"),
        ("cap", 0),
        ("cap", True),
        ("cap", 1.5),
        ("cap", "7000000"),
        ("share_rate_bp", 0),
        ("share_rate_bp", 10_001),
        ("rounding_unit", 2500),
        ("project_months", 0),
        ("extension_months", 25),
        ("name_en", ""),
        ("name_ko", "가" * 61),
        ("is_open", "yes"),
    ],
)
def test_a_bad_value_is_named(field, value):
    assert list(support_type_errors(VALID | {field: value})) == [field]


def test_missing_and_unknown_fields():
    assert support_type_errors({k: v for k, v in VALID.items() if k != "cap"}) == {
        "cap": ["This field is required."]
    }
    assert list(support_type_errors({"colour": "red"}, partial=True)) == ["colour"]
    assert support_type_errors({"cap": 1000}, partial=True) == {}


def test_money_changes_name_only_the_rule():
    before = VALID | {"is_open": True}
    assert money_changes(before, {"cap": 7_000_000, "name_en": "Sub"}) == []
    assert money_changes(before, {"cap": 8_000_000, "rounding_unit": 100}) == [
        "cap",
        "rounding_unit",
    ]


def test_a_year_opens_with_emergency_and_growth():
    emergency, growth = opening_types(5_000_000, 20_000_000, 5000, 1000)
    assert (emergency.code, emergency.name_ko) == ("emergency", "긴급복구형")
    assert emergency.cap == 5_000_000
    assert (growth.code, growth.name_ko, growth.cap) == ("growth", "성장연계형", 20_000_000)
    assert (growth.project_months, growth.extension_months, growth.is_open) == (6, 2, True)
