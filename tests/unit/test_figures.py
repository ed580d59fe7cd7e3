"""Dashboard arithmetic: month buckets, percentages, shares of a cap, mean ratings."""

from datetime import date

import pytest

from aftercare.domain.figures import (
    bp_percent,
    mean,
    month_key,
    month_series,
    months_through,
    percent,
)


def test_month_key_pads_and_refuses_impossible_months():
    assert month_key(2025, 3) == "2025-03"
    assert month_key(2025, 12) == "2025-12"
    for month in (0, 13):
        with pytest.raises(ValueError, match="month must be"):
            month_key(2025, month)


def test_months_through_a_past_current_and_future_year():
    today = date(2025, 4, 30)
    assert months_through(2024, today) == [f"2024-{m:02d}" for m in range(1, 13)]
    assert months_through(2025, today) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert months_through(2026, today) == ["2026-01"]
    assert months_through(2025, date(2025, 1, 1)) == ["2025-01"]


def test_month_series_fills_gaps_with_zero_and_keeps_every_counted_month():
    months = ["2025-01", "2025-02", "2025-03"]
    assert month_series(months, {"2025-02": 700_000}) == [
        ("2025-01", 0),
        ("2025-02", 700_000),
        ("2025-03", 0),
    ]
    # A month outside the range (e.g. counted after the clock turned) is never dropped.
    assert month_series(months[:1], {"2025-02": 5}) == [("2025-01", 0), ("2025-02", 5)]
    assert month_series([], {}) == []
    assert all(type(value) is int for _month, value in month_series(months, {"2025-01": 3}))


def test_percent_rounds_half_up_to_one_decimal():
    assert percent(6, 7) == 85.7
    assert percent(1, 8) == 12.5
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.7
    assert percent(1, 16) == 6.3  # 6.25 → half up, not to even
    assert percent(0, 5) == 0.0
    assert percent(5, 5) == 100.0


def test_percent_of_nothing_is_unknown_not_zero():
    assert percent(0, 0) is None


def test_percent_refuses_parts_outside_the_whole():
    for part, whole in ((6, 5), (-1, 5)):
        with pytest.raises(ValueError, match="part must be within"):
            percent(part, whole)


def test_basis_points_become_a_percentage_rounded_down():
    assert bp_percent(9000) == 90.0
    assert bp_percent(750) == 7.5
    assert bp_percent(9999) == 99.9
    assert bp_percent(10000) == 100.0
    assert bp_percent(9) == 0.0


def test_mean_rating_rounds_half_up_and_is_none_without_ratings():
    assert mean(9, 2) == 4.5
    assert mean(5, 3) == 1.67
    assert mean(1, 8) == 0.13  # 0.125 → half up
    assert mean(14, 3, places=1) == 4.7
    assert mean(0, 0) is None
