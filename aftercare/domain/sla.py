"""SLA deadlines counted in Korean business days (SPEC.md §3).

A business day is Monday–Friday that is not a Korean public holiday (substitute
holidays included), per `holidays.country_holidays("KR")`.

End-of-day rule: timestamps are stored as naive UTC. Something started at instant
`t` is dated by its Asia/Seoul calendar date; a deadline of n business days falls
at the END of the n-th business day strictly after that date, i.e. at 00:00
Asia/Seoul of the following calendar day, returned as a naive UTC datetime.
Filed Friday 2021-02-05 15:00 KST with 1 business day → due 2021-02-09 00:00 KST
(naive UTC 2021-02-08 15:00).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SEOUL = ZoneInfo("Asia/Seoul")

# severity → (triage business days, resolution business days)
SLA_DAYS: dict[str, tuple[int, int]] = {
    "critical": (1, 3),
    "high": (1, 5),
    "normal": (2, 10),
    "low": (3, 20),
}

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def korean_holidays(year: int) -> frozenset[date]:
    """Korean public holidays (substitute days included) of one year, cached."""
    return frozenset(holidays.country_holidays("KR", years=year).keys())


def is_business_day(day: date) -> bool:
    """True for Monday–Friday that is not a Korean public holiday."""
    return day.weekday() < 5 and day not in korean_holidays(day.year)


def add_business_days(start: date, n: int) -> date:
    """The n-th business day strictly after `start` (n=0: `start` or the next business day)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    if n == 0:
        while not is_business_day(day):
            day += _ONE_DAY
        return day
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_business_day(day):
            remaining -= 1
    return day


def _weekdays_through(day: date) -> int:
    """Number of Monday–Friday dates from 0001-01-01 (a Monday) through `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def business_days_between(start: date, end: date) -> int:
    """Number of business days d with start < d <= end (0 if end <= start)."""
    if end <= start:
        return 0
    weekdays = _weekdays_through(end) - _weekdays_through(start)
    weekday_holidays = sum(
        1
        for year in range(start.year, end.year + 1)
        for holiday in korean_holidays(year)
        if start < holiday <= end and holiday.weekday() < 5
    )
    return weekdays - weekday_holidays


def _seoul_date(instant_utc: datetime) -> date:
    """Asia/Seoul calendar date of a naive-UTC (or aware) instant."""
    if instant_utc.tzinfo is None:
        instant_utc = instant_utc.replace(tzinfo=UTC)
    return instant_utc.astimezone(SEOUL).date()


def _end_of_seoul_day_utc(day: date) -> datetime:
    """Naive UTC instant of 00:00 Asia/Seoul on the calendar day after `day`."""
    nxt = day + _ONE_DAY
    local = datetime(nxt.year, nxt.month, nxt.day, tzinfo=SEOUL)
    return local.astimezone(UTC).replace(tzinfo=None)


def due_at(start_utc: datetime, business_days: int) -> datetime:
    """Naive UTC end of the n-th business day after the Seoul date of `start_utc`."""
    return _end_of_seoul_day_utc(add_business_days(_seoul_date(start_utc), business_days))


def triage_due_at(filed_at_utc: datetime, severity: str) -> datetime:
    """Triage deadline (naive UTC) for a ticket of `severity` filed at `filed_at_utc`."""
    return due_at(filed_at_utc, SLA_DAYS[severity][0])


def resolution_due_at(start_utc: datetime, severity: str) -> datetime:
    """Resolution deadline (naive UTC) counted from triage acceptance at `start_utc`."""
    return due_at(start_utc, SLA_DAYS[severity][1])


def auto_confirm_due(resolved_at_utc: datetime, now_utc: datetime, days: int = 10) -> bool:
    """True once `days` business days have fully passed since resolution."""
    if now_utc.tzinfo is not None:
        now_utc = now_utc.astimezone(UTC).replace(tzinfo=None)
    return now_utc >= due_at(resolved_at_utc, days)


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamping to the target month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
