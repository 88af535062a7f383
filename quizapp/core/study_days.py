"""The learner's study days: a day starts at 04:00 local time (Anki's default), so a session
at 1 a.m. still belongs to the evening before. Reviews are due by the study day; the core
works in UTC and converts to the learner's clock only here.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAY_STARTS_AT = 4  # local hour at which a new study day begins (Anki's default)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: scheduling works in UTC only")
    return moment.astimezone(UTC)


def local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def study_day(moment: datetime, tz: tzinfo | None = None) -> date:
    """The learner's study day of a moment (days start at DAY_STARTS_AT local time)."""
    local = moment.astimezone(tz or local_tz())
    return (local - timedelta(hours=DAY_STARTS_AT)).date()


def day_start(day: date, tz: tzinfo | None = None) -> datetime:
    """The UTC moment a study day begins."""
    local = datetime.combine(day, time(DAY_STARTS_AT), tzinfo=tz or local_tz())
    return local.astimezone(UTC)


def end_of_day(moment: datetime, tz: tzinfo | None = None) -> datetime:
    return day_start(study_day(moment, tz) + timedelta(days=1), tz)


def end_of_tomorrow(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """Cards due before this are what a session tomorrow would hold (new cards aside)."""
    return day_start(study_day(moment, tz) + timedelta(days=2), tz)


def minutes_until(moment: datetime, now: datetime) -> int:
    """Whole minutes from `now` to `moment`, rounded up (a step due in 30 s is "in 1 min")."""
    return max(0, math.ceil((moment - now).total_seconds() / 60))
