"""Times as the learner reads them: intervals (Anki's 10m, 3h, 11d) and durations, each
function naming the unit it takes.
"""

from __future__ import annotations

import math
from datetime import timedelta


def format_interval(delta: timedelta) -> str:
    """Anki-style short intervals: <1m, 10m, 3h, 11d, 2.1mo, 1.4y."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return "<1m"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f}m"
    hours = minutes / 60
    if hours < 24:
        return f"{hours:.0f}h"
    days = hours / 24
    if days < 30:
        return f"{days:.0f}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def format_duration_ms(ms: int | float) -> str:
    """A drill session's or a card's time, from milliseconds: 42s, 3:05, 1:02:07."""
    total = int(round(ms / 1000))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    if minutes:
        return f"{minutes}:{seconds:02d}"
    return f"{seconds}s"


def format_duration_seconds(seconds: float) -> str:
    """A mock's time, from seconds: m:ss (h:mm:ss past an hour); whole seconds, rounded down
    like a countdown shows them."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_countdown(seconds: float) -> str:
    """A countdown shows the seconds still (partly) left: 0.2 s left reads 0:01, not 0:00."""
    return format_duration_seconds(math.ceil(max(seconds, 0.0) - 1e-9))
