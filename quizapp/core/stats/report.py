"""The report: every figure computed from one `StatsInputs`, and its `--json` document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from quizapp.core.due_cards import DueOutlook, due_outlook
from quizapp.core.interview_pacing import review_cutoff
from quizapp.core.stats.cards import (
    COUNT_FIELDS,
    DeckProgress,
    Leech,
    deck_progress,
    forecast,
    leeches,
)
from quizapp.core.stats.document import stats_document
from quizapp.core.stats.inputs import StatsInputs
from quizapp.core.stats.practice import (
    ExerciseSummary,
    LoopTrend,
    MockTrend,
    exercise_summaries,
    loop_trend,
    mock_trend,
)
from quizapp.core.stats.readiness import Readiness, readiness
from quizapp.core.stats.reviews import (
    MAIN_RETENTION_WINDOW,
    Activity,
    RetentionWindow,
    WeakSpot,
    activity,
    heat_levels,
    recent_by_group,
    retention_windows,
    weakest,
)
from quizapp.core.study_days import as_utc, study_day


@dataclass(frozen=True)
class StatsReport:
    now: datetime
    today: date
    reviews_total: int
    decks: tuple[DeckProgress, ...]
    due_tomorrow: int
    forecast: tuple[int, ...]
    retention: tuple[RetentionWindow, ...]
    activity: Activity
    heat: tuple[int, ...]
    weak_decks: tuple[WeakSpot, ...]
    weak_tags: tuple[WeakSpot, ...]
    leeches: tuple[Leech, ...]
    mocks: tuple[Mapping[str, Any], ...]
    mock_trend: MockTrend
    exercises: tuple[ExerciseSummary, ...]
    interview: Readiness | None = None
    titles: Mapping[str, str] = field(default_factory=dict)
    outlook: DueOutlook | None = None
    cram_total: int = 0
    tz: tzinfo | None = None
    interview_loops: tuple[Mapping[str, Any], ...] = ()

    @property
    def loop_trend(self) -> LoopTrend:
        return loop_trend(self.interview_loops)

    @property
    def totals(self) -> DeckProgress:
        return DeckProgress(
            "total",
            "All decks",
            **{name: sum(getattr(d, name) for d in self.decks) for name in COUNT_FIELDS},
        )

    @property
    def reviews_today(self) -> int:
        return self.activity.daily[-1] if self.activity.daily else 0

    @property
    def main_retention(self) -> RetentionWindow:
        return next(w for w in self.retention if w.days == MAIN_RETENTION_WINDOW)

    @property
    def is_empty(self) -> bool:
        """A new learner: nothing reviewed, no mock finished, no exercise graded."""
        return (
            not self.reviews_total
            and not self.mocks
            and not self.interview_loops
            and not any(e.attempts for e in self.exercises)
        )

    def to_json(self) -> dict[str, Any]:
        """The `quizapp stats --json` document (core.stats.document)."""
        return stats_document(self)


def build_report(inputs: StatsInputs) -> StatsReport:
    now = as_utc(inputs.now)
    tz = inputs.tz
    today = study_day(now, tz)
    keys = {f"{d.deck}/{c.id}" for d in inputs.decks for c in d.cards}  # card_key
    mine = [state for key, state in inputs.states.items() if key in keys]
    cutoff = review_cutoff(now, inputs.interview, tz)
    outlook = due_outlook(mine, now, interview=inputs.interview, tz=tz)
    by_deck, by_tag = recent_by_group(inputs.decks, inputs.recent)
    daily = list(inputs.daily_reviews)
    return StatsReport(
        now=now,
        today=today,
        reviews_total=inputs.reviews_total,
        decks=tuple(deck_progress(inputs.decks, inputs.states, now, cutoff, inputs.learn_ahead)),
        due_tomorrow=outlook.tomorrow,
        forecast=tuple(forecast(mine, today, tz)),
        retention=tuple(retention_windows(inputs.daily_retention)),
        activity=activity(daily, today),
        heat=tuple(heat_levels(daily)),
        weak_decks=tuple(weakest(by_deck)),
        weak_tags=tuple(weakest(by_tag)),
        leeches=tuple(leeches(inputs.decks, inputs.states)),
        mocks=tuple(inputs.mocks),
        mock_trend=mock_trend(inputs.mocks),
        exercises=tuple(exercise_summaries(inputs.exercises, inputs.exercise_attempts)),
        interview=(
            readiness(inputs.interview, today, tz, len(keys), mine)
            if inputs.interview is not None
            else None
        ),
        titles={d.deck: d.title for d in inputs.decks},
        outlook=outlook,
        cram_total=inputs.cram_total,
        tz=tz,
        interview_loops=tuple(inputs.interview_loops),
    )
