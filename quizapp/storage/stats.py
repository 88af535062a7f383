"""The queries behind the progress figures (`core.stats` computes them from what these return).

Written for a year of history (10,000 cards, 100,000 reviews; see bench/bench_stats.py): the
reviews are counted in SQL, per study day, over index ranges; only card states (one row per
card) come into Python. Study days start at 04:00 local time and are not all 24 hours long
(DST), so their UTC bounds are computed in Python and joined in SQL as one JSON parameter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from fsrs import State

from quizapp.core.fsrs_scheduler import CardState
from quizapp.core.loader import LoadResult
from quizapp.core.stats import (
    CALENDAR_DAYS,
    RETENTION_WINDOWS,
    WEAK_WINDOW_DAYS,
    ExerciseAttempt,
    StatsInputs,
    StatsReport,
    build_report,
    day_bounds,
    days_ending,
)
from quizapp.core.study_days import as_utc, local_tz, study_day
from quizapp.storage.db import Database, from_db_time, to_db_time, utc_now
from quizapp.storage.interview_loops import loops_for_stats
from quizapp.storage.mocks import mocks_for_stats
from quizapp.storage.reviews import (
    cram_total,
    get_interview_date,
    get_learn_ahead,
    reviews_total,
)

# The study days as rows (i, start, stop) from a JSON list of [start, stop] pairs. CROSS JOIN
# keeps the days as the outer loop, so each day is one range search of the time index.
_DAYS = (
    "days (i, start, stop) AS (SELECT CAST(key AS INTEGER), json_extract(value, '$[0]'), "
    "json_extract(value, '$[1]') FROM json_each(?))"
)


_STATES = {int(state): state for state in State}


def load_card_states(db: Database) -> dict[str, CardState]:
    """Every stored card state, keyed `deck/card` (storage.reviews.load_states on plain
    tuples, twice as fast: it matters with 10,000 cards)."""
    rows = db.query_tuples(
        "SELECT deck, card, state, step, stability, difficulty, due, last_review, reps, lapses "
        "FROM card_state"
    )
    parse = from_db_time
    return {
        f"{deck}/{card}": CardState(
            deck,
            card,
            _STATES[state],
            step,
            stability,
            difficulty,
            parse(due),
            parse(last) if last else None,
            reps,
            lapses,
        )
        for deck, card, state, step, stability, difficulty, due, last, reps, lapses in rows
    }


def _bounds_json(days: Sequence[date], tz: tzinfo) -> str:
    return json.dumps([[to_db_time(a), to_db_time(b)] for a, b in day_bounds(days, tz)])


def daily_review_counts(db: Database, days: Sequence[date], tz: tzinfo) -> list[int]:
    """Reviews (drill and mock; cram answers are not reviews) on each study day: one index
    range per day."""
    rows = db.query_tuples(
        f"WITH {_DAYS} SELECT days.i, COUNT(*) FROM days CROSS JOIN reviews r "
        "ON r.reviewed_at >= days.start AND r.reviewed_at < days.stop "
        "WHERE r.mode != 'cram' GROUP BY days.i",
        (_bounds_json(days, tz),),
    )
    counts = [0] * len(days)
    for i, count in rows:
        counts[i] = count
    return counts


def daily_true_retention(db: Database, days: Sequence[date], tz: tzinfo) -> list[tuple[int, int]]:
    """Per study day: (reviews, passed) of drill reviews of cards in the review state, the
    first of each card that day (Anki's true retention). The WHERE clause is the one of the
    partial index `reviews_review_state`, so SQLite answers from that index alone."""
    rows = db.query_tuples(
        f"WITH {_DAYS} SELECT i, COUNT(*), SUM(rating > 1) FROM ("
        "  SELECT days.i AS i, MIN(r.reviewed_at), r.rating AS rating"
        "  FROM days CROSS JOIN reviews r"
        "  ON r.reviewed_at >= days.start AND r.reviewed_at < days.stop"
        "  WHERE r.mode = 'drill' AND json_extract(r.state_before, '$.state') = 2"
        "  GROUP BY days.i, r.deck, r.card"
        ") GROUP BY i",
        (_bounds_json(days, tz),),
    )
    counts = [(0, 0)] * len(days)
    for i, reviews, passed in rows:
        counts[i] = (reviews, passed)
    return counts


def recent_answers(db: Database, since: datetime) -> dict[str, tuple[int, int]]:
    """Per card: (answers, Again) in drills and cram since `since` (mocks log only misses)."""
    rows = db.query_tuples(
        "SELECT deck, card, COUNT(*), SUM(rating = 1) FROM reviews "
        "WHERE reviewed_at >= ? AND +mode != 'mock' GROUP BY +deck, +card",
        (to_db_time(since),),
    )
    return {f"{deck}/{card}": (n, again) for deck, card, n, again in rows}


def exercise_attempts(db: Database) -> list[ExerciseAttempt]:
    """Every grading result, oldest first; the checks are read for passes only."""
    rows = db.query(
        "SELECT exercise, finished_at, status, score, max_score, "
        "CASE WHEN status = 'pass' THEN result END AS result "
        "FROM exercise_results ORDER BY finished_at, id"
    )
    attempts = []
    for row in rows:
        checks: list[dict[str, Any]] = []
        if row["result"]:
            try:
                checks = list(json.loads(row["result"]).get("checks") or [])
            except (ValueError, AttributeError):
                checks = []  # a damaged row: the attempt still counts, without figures
        attempts.append(
            ExerciseAttempt(
                exercise=row["exercise"],
                finished_at=from_db_time(row["finished_at"]),
                status=row["status"],
                score=row["score"],
                max_score=row["max_score"],
                checks=[c for c in checks if isinstance(c, dict)],
            )
        )
    return attempts


def gather(
    db: Database,
    library: LoadResult,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    *,
    exercises: Sequence[tuple[str, str]],
) -> StatsInputs:
    """Read what the figures need. `exercises`: the catalogue as (id, title), from the caller
    (storage knows no grader)."""
    now = as_utc(now) if now is not None else utc_now()
    tz = tz or local_tz()
    today = study_day(now, tz)
    calendar = days_ending(today, CALENDAR_DAYS)
    weak_start = days_ending(today, WEAK_WINDOW_DAYS)[0]
    return StatsInputs(
        now=now,
        tz=tz,
        decks=library.decks,
        states=load_card_states(db),
        reviews_total=reviews_total(db),
        daily_reviews=daily_review_counts(db, calendar, tz),
        daily_retention=daily_true_retention(db, calendar[-max(RETENTION_WINDOWS) :], tz),
        recent=recent_answers(db, day_bounds([weak_start], tz)[0][0]),
        interview=get_interview_date(db),
        mocks=mocks_for_stats(db),
        interview_loops=loops_for_stats(db),
        exercises=exercises,
        exercise_attempts=exercise_attempts(db),
        learn_ahead=get_learn_ahead(db),
        cram_total=cram_total(db),
    )


def collect_stats(
    db: Database,
    library: LoadResult,
    now: datetime | None = None,
    tz: tzinfo | None = None,
    *,
    exercises: Sequence[tuple[str, str]],
) -> StatsReport:
    """Every progress figure, as the stats screen and `quizapp stats` show them."""
    return build_report(gather(db, library, now, tz, exercises=exercises))
