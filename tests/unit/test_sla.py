"""Korean business-day SLA rules (SPEC.md §3): pure functions, expected values by hand.

2021 calendar used below: Feb 1 and Mar 1 are Mondays (Mar 1 is a holiday); Seollal
Feb 11–13 (Thu–Sat); Chuseok Sep 20–22 (Mon–Wed); substitute holidays Aug 16,
Oct 4 and Oct 11 (all Mondays). Seoul is UTC+9 all year, so 00:00 KST = 15:00 UTC
of the previous day.
"""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftercare.domain.sla import (
    SLA_DAYS,
    add_business_days,
    add_months,
    auto_confirm_due,
    business_days_between,
    due_at,
    is_business_day,
    korean_holidays,
    resolution_due_at,
    triage_due_at,
)

D = date
T = datetime


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2021, 2, 5), True),  # Friday
        (D(2021, 2, 6), False),  # Saturday
        (D(2021, 2, 7), False),  # Sunday
        (D(2021, 2, 8), True),  # Monday
        (D(2021, 2, 11), False),  # day before Seollal
        (D(2021, 2, 12), False),  # Seollal
        (D(2021, 9, 20), False),  # Chuseok eve
        (D(2021, 9, 21), False),  # Chuseok
        (D(2021, 9, 22), False),  # day after Chuseok
        (D(2021, 9, 23), True),
        (D(2021, 8, 16), False),  # substitute for Liberation Day (Sun Aug 15)
        (D(2021, 10, 4), False),  # substitute for National Foundation Day (Sun Oct 3)
        (D(2021, 10, 11), False),  # substitute for Hangul Day (Sat Oct 9)
        (D(2021, 10, 12), True),
        (D(2021, 5, 5), False),  # Children's Day (Wednesday)
        (D(2021, 5, 19), False),  # Buddha's Birthday (Wednesday)
        (D(2021, 5, 20), True),
        (D(2021, 3, 1), False),  # Independence Movement Day (Monday)
        (D(2021, 1, 1), False),  # New Year's Day (Friday)
    ],
)
def test_is_business_day(day, expected):
    assert is_business_day(day) is expected


def test_holiday_sets_are_cached_per_year():
    assert korean_holidays(2021) is korean_holidays(2021)
    assert D(2021, 10, 11) in korean_holidays(2021)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2021, 2, 1), 1, D(2021, 2, 2)),  # Mon → Tue
        (D(2021, 2, 5), 1, D(2021, 2, 8)),  # Fri → over the weekend → Mon
        (D(2021, 2, 6), 1, D(2021, 2, 8)),  # Sat → Mon
        (D(2021, 2, 7), 1, D(2021, 2, 8)),  # Sun → Mon
        (D(2021, 2, 10), 1, D(2021, 2, 15)),  # Seollal Thu–Sat + Sun skipped
        (D(2021, 2, 5), 5, D(2021, 2, 16)),  # 8, 9, 10, 15, 16
        (D(2021, 2, 12), 1, D(2021, 2, 15)),  # from a holiday
        (D(2021, 9, 17), 1, D(2021, 9, 23)),  # Chuseok Mon–Wed skipped
        (D(2021, 9, 17), 2, D(2021, 9, 24)),
        (D(2021, 8, 13), 1, D(2021, 8, 17)),  # substitute Mon Aug 16
        (D(2021, 10, 1), 1, D(2021, 10, 5)),  # substitute Mon Oct 4
        (D(2021, 10, 8), 1, D(2021, 10, 12)),  # substitute Mon Oct 11
        (D(2020, 12, 31), 1, D(2021, 1, 4)),  # New Year's Day Fri + weekend
        (D(2021, 2, 26), 1, D(2021, 3, 2)),  # weekend + Independence Movement Day
        (D(2021, 2, 5), 0, D(2021, 2, 5)),  # n=0 on a business day: itself
        (D(2021, 2, 6), 0, D(2021, 2, 8)),  # n=0 on Saturday: next business day
        (D(2021, 2, 11), 0, D(2021, 2, 15)),  # n=0 on a holiday: next business day
    ],
)
def test_add_business_days(start, n, expected):
    assert add_business_days(start, n) == expected


def test_add_business_days_rejects_negative():
    with pytest.raises(ValueError, match="n must be"):
        add_business_days(D(2021, 2, 5), -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2021, 2, 5), D(2021, 2, 5), 0),  # same day
        (D(2021, 2, 8), D(2021, 2, 5), 0),  # end before start
        (D(2021, 2, 5), D(2021, 2, 7), 0),  # only the weekend
        (D(2021, 2, 5), D(2021, 2, 8), 1),
        (D(2021, 2, 6), D(2021, 2, 8), 1),  # start itself never counts
        (D(2021, 2, 10), D(2021, 2, 15), 1),  # Seollal
        (D(2021, 9, 17), D(2021, 9, 23), 1),  # Chuseok
        (D(2021, 10, 1), D(2021, 10, 12), 5),  # 5, 6, 7, 8, 12
        (D(2021, 2, 1), D(2021, 2, 17), 10),
        (D(2021, 2, 1), D(2021, 3, 4), 20),  # Seollal and Mar 1 skipped
        (D(2020, 12, 31), D(2021, 1, 4), 1),  # across the year
        # 2021: 261 weekdays, 12 of them holidays (Jan 1 is one of them).
        (D(2021, 1, 1), D(2021, 12, 31), 249),
    ],
)
def test_business_days_between(start, end, expected):
    assert business_days_between(start, end) == expected


@pytest.mark.parametrize(
    ("start_utc", "n", "expected_utc"),
    [
        # Fri 2021-02-05 15:00 KST → end of Mon Feb 8 = Feb 9 00:00 KST.
        (T(2021, 2, 5, 6, 0), 1, T(2021, 2, 8, 15, 0)),
        # Seoul-vs-UTC boundary: Thu 23:59 KST counts from Thursday …
        (T(2021, 2, 4, 14, 59), 1, T(2021, 2, 5, 15, 0)),
        # … but Thu 15:00 UTC is Fri 00:00 KST and counts from Friday.
        (T(2021, 2, 4, 15, 0), 1, T(2021, 2, 8, 15, 0)),
        # Fri 23:30 UTC is Sat 08:30 KST: filed on a Saturday.
        (T(2021, 2, 5, 23, 30), 1, T(2021, 2, 8, 15, 0)),
        (T(2021, 2, 6, 1, 0), 2, T(2021, 2, 9, 15, 0)),  # Sat 10:00 KST, 2 days
        (T(2021, 2, 10, 1, 0), 1, T(2021, 2, 15, 15, 0)),  # Seollal: Wed → Mon
        (T(2021, 2, 12, 2, 0), 1, T(2021, 2, 15, 15, 0)),  # filed on Seollal
        (T(2021, 9, 17, 0, 0), 1, T(2021, 9, 23, 15, 0)),  # Chuseok: Fri → Thu
        (T(2021, 10, 8, 0, 0), 1, T(2021, 10, 12, 15, 0)),  # substitute Oct 11
        (T(2021, 2, 5, 6, 0), 0, T(2021, 2, 5, 15, 0)),  # n=0: end of the same day
    ],
)
def test_due_at(start_utc, n, expected_utc):
    result = due_at(start_utc, n)
    assert result == expected_utc
    assert result.tzinfo is None


def test_sla_days_table():
    assert SLA_DAYS == {
        "critical": (1, 3),
        "high": (1, 5),
        "normal": (2, 10),
        "low": (3, 20),
    }


MON_FEB_1_10H_KST = T(2021, 2, 1, 1, 0)


@pytest.mark.parametrize(
    ("severity", "triage_due", "resolution_due"),
    [
        # triage: Tue 2 / Tue 2 / Wed 3 / Thu 4.
        # resolution: 3 → Thu Feb 4; 5 → Mon Feb 8; 10 → Wed Feb 17 (Seollal skipped);
        # 20 → Thu Mar 4 (Seollal and Mon Mar 1 skipped).
        ("critical", T(2021, 2, 2, 15, 0), T(2021, 2, 4, 15, 0)),
        ("high", T(2021, 2, 2, 15, 0), T(2021, 2, 8, 15, 0)),
        ("normal", T(2021, 2, 3, 15, 0), T(2021, 2, 17, 15, 0)),
        ("low", T(2021, 2, 4, 15, 0), T(2021, 3, 4, 15, 0)),
    ],
)
def test_severity_deadlines(severity, triage_due, resolution_due):
    assert triage_due_at(MON_FEB_1_10H_KST, severity) == triage_due
    assert resolution_due_at(MON_FEB_1_10H_KST, severity) == resolution_due


@pytest.mark.parametrize(
    ("filed_utc", "severity", "expected_utc"),
    [
        (T(2021, 2, 10, 1, 0), "critical", T(2021, 2, 15, 15, 0)),  # Wed before Seollal
        (T(2021, 2, 10, 1, 0), "normal", T(2021, 2, 16, 15, 0)),
        (T(2021, 9, 17, 0, 0), "low", T(2021, 9, 27, 15, 0)),  # 23, 24, 27
        (T(2021, 2, 6, 1, 0), "high", T(2021, 2, 8, 15, 0)),  # filed Saturday
    ],
)
def test_triage_due_over_holidays(filed_utc, severity, expected_utc):
    assert triage_due_at(filed_utc, severity) == expected_utc


def test_unknown_severity_is_refused():
    with pytest.raises(KeyError):
        triage_due_at(MON_FEB_1_10H_KST, "urgent")


@pytest.mark.parametrize(
    ("now_utc", "days", "expected"),
    [
        (MON_FEB_1_10H_KST, 10, False),
        (T(2021, 2, 17, 14, 59, 59), 10, False),  # Wed Feb 17 23:59:59 KST
        (T(2021, 2, 17, 15, 0), 10, True),  # Thu Feb 18 00:00 KST: 10 days passed
        (T(2021, 2, 20, 0, 0), 10, True),
        (T(2021, 2, 2, 14, 59), 1, False),
        (T(2021, 2, 2, 15, 0), 1, True),
    ],
)
def test_auto_confirm_due(now_utc, days, expected):
    assert auto_confirm_due(MON_FEB_1_10H_KST, now_utc, days) is expected


def test_auto_confirm_defaults_to_ten_business_days():
    assert auto_confirm_due(MON_FEB_1_10H_KST, T(2021, 2, 17, 14, 59, 59)) is False
    assert auto_confirm_due(MON_FEB_1_10H_KST, T(2021, 2, 17, 15, 0)) is True


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2021, 1, 31), 1, D(2021, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2021, 8, 31), 6, D(2022, 2, 28)),  # 6-month project deadline
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2021, 8, 31), 2, D(2021, 10, 31)),  # 2-month extension
        (D(2021, 12, 31), 2, D(2022, 2, 28)),
        (D(2021, 9, 17), 6, D(2022, 3, 17)),
        (D(2021, 11, 30), 3, D(2022, 2, 28)),
        (D(2021, 12, 15), 1, D(2022, 1, 15)),
        (D(2021, 3, 31), -1, D(2021, 2, 28)),
        (D(2021, 5, 17), 0, D(2021, 5, 17)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


_dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31))


@settings(deadline=None, database=None)
@given(day=_dates, n=st.integers(min_value=1, max_value=40))
def test_add_business_days_round_trips(day, n):
    result = add_business_days(day, n)
    assert is_business_day(result)
    assert business_days_between(day, result) == n
    assert business_days_between(day, result - timedelta(days=1)) == n - 1


@settings(deadline=None, database=None)
@given(day=_dates)
def test_zero_business_days_lands_on_a_business_day(day):
    result = add_business_days(day, 0)
    assert is_business_day(result)
    assert business_days_between(day, result) == (0 if result == day else 1)
