"""Small arithmetic for dashboard figures: month buckets, percentages, shares of a cap.

Pure functions (no Flask, no database) so the rounding and bucketing rules are tested
directly. Money stays integer won; only ratios become decimals, for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal


def month_key(year: int, month: int) -> str:
    """(2025, 3) → '2025-03', the bucket label used throughout the dashboards."""
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    return f"{year:04d}-{month:02d}"


def months_through(year: int, today: date) -> list[str]:
    """The months of `year` worth showing on `today`: all twelve once the year is over,
    January to this month while it runs, January alone before it starts."""
    if year < today.year:
        last = 12
    elif year == today.year:
        last = today.month
    else:
        last = 1
    return [month_key(year, month) for month in range(1, last + 1)]


def month_series(months: Iterable[str], values: Mapping[str, int]) -> list[tuple[str, int]]:
    """Every month of `months` with its value (0 when absent), plus any month in `values`
    outside that range (so nothing counted is ever dropped), in calendar order."""
    keys = sorted(set(months) | set(values))
    return [(key, int(values.get(key) or 0)) for key in keys]


def percent(part: int, whole: int) -> float | None:
    """part / whole as a percentage with one decimal, half up; None when whole is 0."""
    if whole <= 0:
        return None
    if part < 0 or part > whole:
        raise ValueError("part must be within 0..whole")
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return float(value)


def bp_percent(basis_points: int) -> float:
    """Basis points as a percentage with one decimal, rounded down (9999 → 99.9, never 100)."""
    return (basis_points // 10) / 10


def mean(total: int, count: int, places: int = 2) -> float | None:
    """Average with `places` decimals, half up (ratings 1–5); None when nothing counted."""
    if count <= 0:
        return None
    quantum = Decimal(1).scaleb(-places)
    return float((Decimal(total) / Decimal(count)).quantize(quantum, ROUND_HALF_UP))
