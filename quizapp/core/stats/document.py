"""The `quizapp stats --json` document, a contract other tools read: its shape, declared.

`StatsDocument` names every field; the figures inside it are the report's own classes
(`DeckProgress`, `RetentionWindow`, ...), whose fields declare how they are written.
`quizapp schema stats` prints its JSON Schema. Fields are only ever added: a reader of an
older document finds every field it knew.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from quizapp.core.json_contract import CONTRACT, IsoDatetime, json_document
from quizapp.core.stats.cards import DeckProgress, Leech
from quizapp.core.stats.practice import ExerciseSummary, MockTrend
from quizapp.core.stats.readiness import Readiness
from quizapp.core.stats.recall import TARGET_RETENTION
from quizapp.core.stats.reviews import (
    WEAK_MIN_REVIEWS,
    WEAK_WINDOW_DAYS,
    Activity,
    RetentionWindow,
    WeakSpot,
)

if TYPE_CHECKING:
    from quizapp.core.stats.report import StatsReport


class _Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", **CONTRACT)


class Counts(_Contract):
    """Cards per state (core.stats.cards.COUNT_FIELDS), summed over the decks."""

    cards: int
    new: int
    learning: int
    review: int
    mastered: int
    due: int
    leeches: int


class DueOutlookCounts(_Contract):
    now: int  # reviews due today and learning steps already due
    soon_minutes: list[int]  # minutes until each learning step due soon
    later_today: int
    tomorrow: int


class MockRow(_Contract):
    id: str
    started_at: str
    finished_at: str | None
    score: int | float | None
    max_score: int | float | None
    questions: int


class LoopRow(_Contract):
    id: str
    started_at: str
    finished_at: str | None
    exercise: str
    concept_score: int | float | None
    concept_max: int | float | None
    coding_passed: bool


class Retention(_Contract):
    target: float
    windows: list[RetentionWindow]


class Weakest(_Contract):
    window_days: int
    min_reviews: int
    decks: list[WeakSpot]
    tags: list[WeakSpot]


class StatsDocument(_Contract):
    """The `quizapp stats --json` document; `interview` is there only with a date set."""

    # Every other field has no default, so is required anyway; `interview` may be left out.
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    now: IsoDatetime
    today: date
    reviews_total: int
    reviews_today: int
    due_tomorrow: int
    due_today: int
    due_outlook: DueOutlookCounts | None
    cram_total: int
    interview_date: date | None
    totals: Counts
    decks: list[DeckProgress]
    mocks: list[MockRow]
    interview_loops: list[LoopRow]
    forecast: list[int]
    retention: Retention
    activity: Activity
    weakest: Weakest
    leeches: list[Leech]
    mock_trend: MockTrend
    exercises: list[ExerciseSummary]
    interview: Readiness | None = None


def stats_document(report: StatsReport) -> dict[str, Any]:
    """The report as its `--json` document."""
    outlook = report.outlook
    fields: dict[str, Any] = {}
    if report.interview is not None:
        fields["interview"] = report.interview
    document = StatsDocument(
        now=report.now,
        today=report.today,
        reviews_total=report.reviews_total,
        reviews_today=report.reviews_today,
        due_tomorrow=report.due_tomorrow,
        due_today=outlook.today if outlook else 0,
        due_outlook=(
            DueOutlookCounts(
                now=outlook.due_now,
                soon_minutes=list(outlook.soon),
                later_today=len(outlook.later_today),
                tomorrow=outlook.tomorrow,
            )
            if outlook
            else None
        ),
        cram_total=report.cram_total,
        interview_date=report.interview.date if report.interview else None,
        totals=Counts(**report.totals.counts()),
        decks=list(report.decks),
        mocks=[MockRow.model_validate(dict(row)) for row in report.mocks],
        interview_loops=[LoopRow.model_validate(dict(row)) for row in report.interview_loops],
        forecast=list(report.forecast),
        retention=Retention(target=TARGET_RETENTION, windows=list(report.retention)),
        activity=report.activity,
        weakest=Weakest(
            window_days=WEAK_WINDOW_DAYS,
            min_reviews=WEAK_MIN_REVIEWS,
            decks=list(report.weak_decks),
            tags=list(report.weak_tags),
        ),
        leeches=list(report.leeches),
        mock_trend=report.mock_trend,
        exercises=list(report.exercises),
        **fields,
    )
    return json_document(document, exclude_unset=True)
