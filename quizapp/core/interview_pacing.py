"""The interview date: how many new cards a day sees every card before it, and which reviews
are pulled forward so the last pass over them comes before the interview, not on its morning.
See `new_card_quota` and `review_cutoff`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from quizapp.core.study_days import day_start, end_of_day, study_day


def parse_interview_date(text: str) -> date:
    """`2026-12-15` (ISO). Raises ValueError with a message fit for the learner."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text.strip()!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-15"
        ) from None


def days_before_interview(today: date, interview: date) -> int:
    """Study days left before the interview day (today counts, the interview day does not)."""
    return (interview - today).days


def new_card_quota(
    session_limit: int,
    *,
    unseen: int,
    introduced_today: int = 0,
    today: date,
    interview: date | None,
) -> int:
    """New cards this session may introduce.

    Without an interview date it is the session limit. With one, the pace is raised so that
    every card has been seen before the interview day: the cards still unseen this morning
    (`unseen + introduced_today`) are spread evenly over the study days left (today up to the
    eve), and the quota is what today still owes to that pace, if that is more than the
    session limit. On or after the interview day the date no longer changes anything.
    """
    days_left = days_before_interview(today, interview) if interview else 0
    if days_left <= 0:
        return session_limit
    daily = math.ceil((unseen + introduced_today) / days_left)
    return max(session_limit, min(unseen, daily - introduced_today))


def review_cutoff(now: datetime, interview: date | None, tz: tzinfo | None = None) -> datetime:
    """Reviews due before this moment belong to a session started at `now`.

    Normally the end of today (reviews are due by the day, as in Anki). With an interview
    date, reviews are pulled forward: on the eve of the interview, the reviews that would come
    due on the interview day itself are due now, so that the last pass over them happens
    before the interview rather than on its morning. Reviews due later than that need no
    pulling: FSRS places every due date where the predicted recall falls to the desired
    retention (0.9), so a card due after the interview is still above 90% on the day. What
    remains at risk is a card never seen at all, which `new_card_quota` prevents.
    """
    cutoff = end_of_day(now, tz)
    if interview is not None and study_day(now, tz) + timedelta(days=1) == interview:
        cutoff = day_start(interview + timedelta(days=1), tz)
    return cutoff


@dataclass(frozen=True)
class InterviewPlan:
    """What the interview date means today, for the screens and stats."""

    interview: date
    days_left: int  # study days before the interview day
    unseen: int
    new_per_day: int  # the pace that sees every card before the day

    def describe(self) -> str:
        if self.days_left < 0:
            return f"Interview date {self.interview.isoformat()} has passed."
        if self.days_left == 0:
            return f"Interview today ({self.interview.isoformat()}). Good luck!"
        days = f"{self.days_left} day{'s' * (self.days_left != 1)}"
        text = f"Interview on {self.interview.isoformat()}: {days} to go."
        if self.unseen:
            text += (
                f" {self.unseen} card{'s' * (self.unseen != 1)} never seen: at least "
                f"{self.new_per_day} new a day to see them all in time."
            )
        else:
            text += " Every card has been seen."
        return text


def interview_plan(interview: date, today: date, unseen: int) -> InterviewPlan:
    days_left = days_before_interview(today, interview)
    pace = math.ceil(unseen / days_left) if days_left > 0 else unseen
    return InterviewPlan(interview, days_left, unseen, pace)
