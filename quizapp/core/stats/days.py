"""Study days as the figures count them: the calendar's span and each day's UTC bounds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo

from quizapp.core.study_days import day_start

CALENDAR_DAYS = 365
PLOT_DAYS = 90


def days_ending(today: date, count: int) -> list[date]:
    """`count` study days up to and including `today`, oldest first."""
    return [today - timedelta(days=count - 1 - i) for i in range(count)]


def day_bounds(days: Sequence[date], tz: tzinfo) -> list[tuple[datetime, datetime]]:
    """The UTC [start, end) of each study day (23 or 25 hours long across a DST change)."""
    return [(day_start(day, tz), day_start(day + timedelta(days=1), tz)) for day in days]
