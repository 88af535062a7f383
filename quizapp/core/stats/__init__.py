"""Progress figures: what `quizapp stats` prints and the stats screen shows.

Pure functions over records (card states, per-day counts, mock and exercise rows) with `now`
and the time zone injected; `storage.stats` runs the queries and calls `build_report`.
One module per kind of figure: `recall`, `days`, `inputs`, `cards`, `reviews`, `practice`,
`readiness`, `words`; `report` computes them all, `document` declares the `--json` shape.

Definitions (the README repeats them for the learner):
- new / learning / review: never reviewed / in (re)learning steps / graduated to review.
- mastered: a review card whose FSRS retrievability now is above the 0.9 target, i.e. one
  whose last interval has not run out yet (a subset of review).
- true retention (Anki's definition): reviews of cards in the review state (not learning or
  relearning) in drills, only the first of each card per study day; Again is a fail, Hard,
  Good and Easy pass. Cram answers do not count (they do not move the schedule) nor do mock
  misses (a mock logs its misses only). Reported for the last 7, 30 and 90 study days.
- weakest decks and tags: the share of Again in drill and cram answers of the last 30 study
  days, for decks and tags with at least 20 such answers.
- forecast: the cards due on each of the next 14 study days; day 0 (today) also holds the
  overdue cards and the learning steps due later today.
- due tomorrow: cards due during tomorrow's study day only; what is due today (reviews, and
  learning steps due in minutes) is told apart in `outlook` (core.due_cards.due_outlook).
- reviews (`reviews_total`, `reviews_today`, activity): answers that moved a schedule, in
  drills and mocks, per study day for a year. Cram answers are logged apart and counted
  only as `cram_total`.
"""

from __future__ import annotations

from quizapp.core.stats.cards import (
    COUNT_FIELDS,
    FORECAST_DAYS,
    DeckProgress,
    Leech,
    deck_progress,
    first_line,
    forecast,
    leeches,
)
from quizapp.core.stats.days import CALENDAR_DAYS, PLOT_DAYS, day_bounds, days_ending
from quizapp.core.stats.inputs import ExerciseAttempt, StatsInputs
from quizapp.core.stats.practice import (
    BETTER_SIGN,
    BestFigure,
    ExerciseSummary,
    LoopTrend,
    MockTrend,
    best_figures,
    exercise_summaries,
    loop_trend,
    mock_trend,
)
from quizapp.core.stats.readiness import Readiness, readiness
from quizapp.core.stats.recall import TARGET_RETENTION, is_mastered, recall_probability
from quizapp.core.stats.report import StatsReport, build_report
from quizapp.core.stats.reviews import (
    HEAT_LEVELS,
    MAIN_RETENTION_WINDOW,
    RETENTION_WINDOWS,
    WEAK_LIMIT,
    WEAK_MIN_REVIEWS,
    WEAK_WINDOW_DAYS,
    Activity,
    RetentionWindow,
    WeakSpot,
    activity,
    heat_levels,
    recent_by_group,
    retention_windows,
    weakest,
)
from quizapp.core.stats.words import describe_figure, format_percent, plural

__all__ = [
    "Activity",
    "LoopTrend",
    "loop_trend",
    "BETTER_SIGN",
    "BestFigure",
    "CALENDAR_DAYS",
    "COUNT_FIELDS",
    "DeckProgress",
    "ExerciseAttempt",
    "ExerciseSummary",
    "FORECAST_DAYS",
    "HEAT_LEVELS",
    "Leech",
    "MAIN_RETENTION_WINDOW",
    "MockTrend",
    "PLOT_DAYS",
    "RETENTION_WINDOWS",
    "Readiness",
    "RetentionWindow",
    "StatsInputs",
    "StatsReport",
    "TARGET_RETENTION",
    "WEAK_LIMIT",
    "WEAK_MIN_REVIEWS",
    "WEAK_WINDOW_DAYS",
    "WeakSpot",
    "activity",
    "best_figures",
    "build_report",
    "day_bounds",
    "days_ending",
    "deck_progress",
    "describe_figure",
    "exercise_summaries",
    "first_line",
    "forecast",
    "format_percent",
    "heat_levels",
    "is_mastered",
    "leeches",
    "mock_trend",
    "plural",
    "readiness",
    "recall_probability",
    "recent_by_group",
    "retention_windows",
    "weakest",
]
