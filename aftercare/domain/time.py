"""Asia/Seoul conversions for stored naive-UTC timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def to_seoul(value: datetime) -> datetime:
    """Naive UTC (as stored) → aware Asia/Seoul."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SEOUL)


def seoul_today(now: datetime | None = None) -> date:
    """Today's date in Seoul."""
    now = now or datetime.now(UTC)
    return to_seoul(now).date()


def seoul_midnight_utc(day: date) -> datetime:
    """Naive UTC instant of 00:00 Asia/Seoul on `day`."""
    local = datetime(day.year, day.month, day.day, tzinfo=SEOUL)
    return local.astimezone(UTC).replace(tzinfo=None)
