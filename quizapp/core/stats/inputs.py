"""What the figures are computed from: the records `storage.stats.gather` reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from quizapp.core.due_cards import LEARN_AHEAD
from quizapp.core.fsrs_scheduler import CardState
from quizapp.core.models import Deck


@dataclass(frozen=True)
class ExerciseAttempt:
    """One stored grading result (the checks only for a pass: the best figures come from those)."""

    exercise: str
    finished_at: datetime
    status: str
    score: float
    max_score: float
    checks: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class StatsInputs:
    """Everything the figures are computed from (what `storage.stats.gather` reads)."""

    now: datetime
    tz: tzinfo
    decks: Sequence[Deck]
    states: Mapping[str, CardState]
    reviews_total: int
    daily_reviews: Sequence[int]  # CALENDAR_DAYS study days ending today, oldest first
    daily_retention: Sequence[tuple[int, int]]  # (reviews, passed), max window, oldest first
    recent: Mapping[str, tuple[int, int]]  # key -> (answers, again) in the weak window
    interview: date | None = None
    mocks: Sequence[Mapping[str, Any]] = ()  # storage.mocks.mocks_for_stats rows, oldest first
    # storage.interview_loops.loops_for_stats rows, oldest first
    interview_loops: Sequence[Mapping[str, Any]] = ()
    exercises: Sequence[tuple[str, str]] = ()  # the catalogue: (id, title), in order
    exercise_attempts: Sequence[ExerciseAttempt] = ()
    learn_ahead: timedelta = LEARN_AHEAD
    cram_total: int = 0  # cram answers: logged, never reviews
