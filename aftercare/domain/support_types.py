"""Support types as data (issue 30): the rules a fiscal year's type row must keep.

A support type (긴급복구형, 성장연계형, 구독형 …) is a row of its fiscal year: a cap on
the government share per firm, a share rate, a rounding unit, project and extension
months, open or closed for new tickets. This module checks such a row; it knows no
database. The two types every year opens with are named here; any other is data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aftercare.domain.text import N_

EMERGENCY = "emergency"
GROWTH = "growth"
ROUNDING_UNITS = (1, 10, 100, 1000, 10_000)
MONTHS_MAX = 24
CAP_MAX = 10_000_000_000_000  # won: beyond any programme budget
NAME_MAX = 60
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_-]{1,15}")  # fits the String(16) code columns
# Keys a firm's usage summary uses beside the codes (ledger.queries.firm_usage).
RESERVED_CODES = frozenset({"types", "fiscal_year"})
# What sets a claim's money: fixed once the year has approved claims of the type.
MONEY_FIELDS = ("cap", "share_rate_bp", "rounding_unit")
FIELDS = (
    "code",
    "name_ko",
    "name_en",
    "cap",
    "share_rate_bp",
    "rounding_unit",
    "project_months",
    "extension_months",
    "is_open",
)


@dataclass(frozen=True)
class TypeSpec:
    """One type row as a fiscal year opens with it."""

    code: str
    name_ko: str
    name_en: str
    cap: int
    share_rate_bp: int = 5000
    rounding_unit: int = 1000
    project_months: int = 6
    extension_months: int = 2
    is_open: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def opening_types(
    cap_emergency: int, cap_growth: int, share_rate_bp: int, rounding_unit: int
) -> tuple[TypeSpec, TypeSpec]:
    """The two types a year opens with (SPEC §2): 6-month projects, one 2-month extension."""
    rule = {"share_rate_bp": share_rate_bp, "rounding_unit": rounding_unit}
    return (
        TypeSpec(EMERGENCY, "긴급복구형", "Emergency recovery", cap_emergency, **rule),
        TypeSpec(GROWTH, "성장연계형", "Growth-linked", cap_growth, **rule),
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int(value: Any, low: int, high: int, message: str) -> list[str]:
    return [] if _is_int(value) and low <= value <= high else [message]


def _check_name(value: Any, missing: str) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [missing]
    return [N_("Use at most 60 characters.")] if len(value.strip()) > NAME_MAX else []


def _check_code(value: Any) -> list[str]:
    if not isinstance(value, str) or not CODE_PATTERN.fullmatch(value):
        return [
            N_("The code is 2 to 16 lower-case letters, digits, - or _, starting with a letter.")
        ]
    return [N_("This code is reserved.")] if value in RESERVED_CODES else []


CHECKS = {
    "code": _check_code,
    "name_ko": lambda v: _check_name(v, N_("Enter the Korean name.")),
    "name_en": lambda v: _check_name(v, N_("Enter the English name.")),
    "cap": lambda v: _check_int(v, 1, CAP_MAX, N_("The cap must be a positive number of won.")),
    "share_rate_bp": lambda v: _check_int(
        v, 1, 10_000, N_("The share rate must be 1 to 10000 basis points.")
    ),
    "rounding_unit": lambda v: (
        []
        if _is_int(v) and v in ROUNDING_UNITS
        else [N_("The rounding unit must be 1, 10, 100, 1,000 or 10,000 won.")]
    ),
    "project_months": lambda v: _check_int(v, 1, MONTHS_MAX, N_("Project months must be 1 to 24.")),
    "extension_months": lambda v: _check_int(
        v, 1, MONTHS_MAX, N_("Extension months must be 1 to 24.")
    ),
    "is_open": lambda v: [] if isinstance(v, bool) else [N_("Choose open or closed.")],
}


def support_type_errors(data: Mapping[str, Any], partial: bool = False) -> dict[str, list[str]]:
    """Field → messages for a type row (`partial`: only the fields given are checked).

    Unknown fields are refused, so that a misspelt field never passes silently.
    """
    errors: dict[str, list[str]] = {}
    for name in data:
        if name not in CHECKS:
            errors[name] = [N_("Unknown field.")]
    for name, check in CHECKS.items():
        if name in data:
            if messages := check(data[name]):
                errors[name] = messages
        elif not partial and name != "is_open":
            errors[name] = [N_("This field is required.")]
    return errors


def money_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The money fields `after` would change (cap, share rate, rounding unit)."""
    return [name for name in MONEY_FIELDS if name in after and after[name] != before[name]]
