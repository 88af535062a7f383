"""Times as the learner reads them: intervals, and durations in milliseconds and seconds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quizapp.core.time_format import (
    format_countdown,
    format_duration_ms,
    format_duration_seconds,
    format_interval,
)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "<1m"),
        (timedelta(minutes=5, seconds=30), "6m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=11), "11d"),
        (timedelta(days=64), "2.1mo"),
        (timedelta(days=511), "1.4y"),
    ],
)
def test_format_interval(delta: timedelta, text: str) -> None:
    assert format_interval(delta) == text


def test_format_duration_ms() -> None:
    assert format_duration_ms(42_400) == "42s"
    assert format_duration_ms(185_000) == "3:05"
    assert format_duration_ms(3_727_000) == "1:02:07"


def test_durations_read_like_a_clock() -> None:
    assert format_duration_seconds(0) == "0:00"
    assert format_duration_seconds(61.9) == "1:01"
    assert format_duration_seconds(3725) == "1:02:05"
    assert format_countdown(0.2) == "0:01"
    assert format_countdown(60.0) == "1:00"
    assert format_countdown(0) == "0:00"
