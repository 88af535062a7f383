"""Progress figures from seeded histories equal the values worked out by hand.

Histories are written the way the app writes them (`record_review` with an injected `now`,
mocks through the mock storage, grading results through `record_result`); the comments give
the hand computation. FSRS itself is the oracle for retrievability.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fsrs import Rating, State
from hypothesis import given
from hypothesis import strategies as st

from quizapp.core.fsrs_scheduler import SCHEDULER, CardState, review
from quizapp.core.loader import LoadResult, load_decks
from quizapp.core.stats import (
    FORECAST_DAYS,
    ExerciseAttempt,
    activity,
    best_figures,
    deck_progress,
    exercise_summaries,
    forecast,
    heat_levels,
    mock_trend,
    readiness,
    recall_probability,
    weakest,
)
from quizapp.storage.db import Database
from quizapp.storage.exercises import record_result
from quizapp.storage.reviews import record_review, set_interview_date
from quizapp.storage.stats import collect_stats, gather

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stats"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # study day 2026-03-10 (days start 04:00)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def library() -> LoadResult:
    result = load_decks([FIXTURES])
    assert result.ok, result.errors
    return result


@pytest.fixture
def db(quizapp_home: Path) -> Iterator[Database]:
    with Database() as database:
        yield database


def answer(db: Database, key: str, rating: int, when: datetime, mode: str = "drill") -> None:
    deck, card = key.split("/")
    record_review(db, deck, card, rating, mode=mode, now=when)


def graduate(state: CardState | None, deck: str, card: str, when: datetime) -> CardState:
    """Good, then Good at the 10-minute step: the card reaches the review state (due +2 d)."""
    first = review(state, deck, card, Rating.Good, when)
    return review(first, deck, card, Rating.Good, when + timedelta(minutes=10))


# --- retrievability ---------------------------------------------------------------------------


@given(
    stability=st.floats(0.01, 5000, allow_nan=False),
    elapsed_s=st.integers(-86_400, 3 * 365 * 86_400),
)
def test_recall_probability_is_fsrs_retrievability(stability: float, elapsed_s: int) -> None:
    last = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    state = CardState("d", "c", State.Review, None, stability, 5.0, last, last)
    moment = last + timedelta(seconds=elapsed_s)
    expected = SCHEDULER.get_card_retrievability(state.to_fsrs(), moment)
    assert recall_probability(state, moment) == expected


def test_recall_probability_of_an_unreviewed_state_is_zero() -> None:
    state = CardState("d", "c", State.Learning, 0, None, None, NOW, None)
    assert recall_probability(state, NOW) == 0.0


# --- progress, due, forecast ------------------------------------------------------------------


def progress_states() -> dict[str, CardState]:
    a1 = graduate(None, "alpha", "a1", at(28, 10, month=2))  # review, due 03-02: overdue
    a2 = graduate(None, "alpha", "a2", at(9, 10))  # review, due 03-11 10:10
    a3 = review(None, "alpha", "a3", Rating.Good, NOW - timedelta(minutes=5))  # learning
    b1 = graduate(None, "beta", "b1", at(20, 10, month=2))
    b1 = review(b1, "beta", "b1", Rating.Again, at(10, 11))  # lapse: relearning, due 11:10
    assert a2.state == State.Review and a2.due == at(11, 10, 10)
    assert a3.state == State.Learning and a3.due == NOW + timedelta(minutes=5)
    assert b1.state == State.Relearning and b1.due == at(10, 11, 10) and b1.lapses == 1
    return {s.key: s for s in (a1, a2, a3, b1)}


def test_deck_progress_counts_by_hand(library: LoadResult) -> None:
    states = progress_states()
    cutoff = at(11, 4)  # end of the study day 2026-03-10 (UTC)
    alpha, beta = deck_progress(library.decks, states, NOW, cutoff)
    # alpha: a1 review (8 days since its last review, S ~ 2.3 d: recall < 0.9, due),
    # a2 review and mastered (1 day elapsed, not due yet), a3 learning (due in 5 min: due now)
    assert alpha.counts() == {
        "cards": 6,
        "new": 3,
        "learning": 1,
        "review": 2,
        "mastered": 1,
        "due": 2,
        "leeches": 0,
    }
    # beta: b1 relearning (due in 10 min's step: due now), the rest new
    assert beta.counts() == {
        "cards": 4,
        "new": 3,
        "learning": 1,
        "review": 0,
        "mastered": 0,
        "due": 1,
        "leeches": 0,
    }
    assert (
        recall_probability(states["alpha/a1"], NOW)
        < 0.9
        < recall_probability(states["alpha/a2"], NOW)
    )


def test_forecast_by_study_day() -> None:
    states = progress_states()
    counts = forecast(states.values(), date(2026, 3, 10), UTC)
    # today (until 03-11 04:00): a1 overdue, a3 at 12:05, b1 at 11:10; 03-11: a2 at 10:10
    assert counts == [3, 1] + [0] * (FORECAST_DAYS - 2)


def test_forecast_day_boundary_is_4am_local() -> None:
    tz = ZoneInfo("America/New_York")  # UTC-5 in March before the 8th, -4 after
    due_1am = CardState("d", "x", State.Review, None, 3.0, 5.0, at(11, 5), NOW)  # 01:00 EDT
    due_5am = CardState("d", "y", State.Review, None, 3.0, 5.0, at(11, 9), NOW)  # 05:00 EDT
    counts = forecast([due_1am, due_5am], date(2026, 3, 10), tz)
    assert counts[:2] == [1, 1]


# --- true retention -----------------------------------------------------------------------------


def test_true_retention_windows_by_hand(db: Database, library: LoadResult) -> None:
    # a1 graduates on 01-01 (learning answers never count), then:
    answer(db, "alpha/a1", 3, at(1, 10, month=1))
    answer(db, "alpha/a1", 3, at(1, 10, 10, month=1))
    answer(db, "alpha/a1", 3, at(5, 10, month=1))  # review: pass (day 01-05, 90-day window)
    answer(db, "alpha/a1", 1, at(20, 10, month=2))  # review: fail (02-20: 30 and 90 days)
    answer(db, "alpha/a1", 3, at(20, 10, 15, month=2))  # relearning: not counted
    answer(db, "alpha/a1", 3, at(9, 3, 30))  # review at 03:30: study day 03-08, pass
    answer(db, "alpha/a1", 1, at(9, 5))  # review, first of study day 03-09: fail
    answer(db, "alpha/a1", 3, at(9, 5, 10))  # relearning: not counted
    answer(db, "alpha/a1", 3, at(9, 6))  # review again on 03-09: not the first, not counted
    answer(db, "alpha/a1", 1, at(10, 8), mode="cram")  # cram: not counted
    answer(db, "alpha/a1", 1, at(10, 9), mode="mock")  # a mock miss: not counted
    answer(db, "beta/b2", 3, at(1, 10))
    answer(db, "beta/b2", 3, at(1, 10, 10))
    answer(db, "beta/b2", 2, at(4, 10))  # review, Hard is a pass (03-04: in the 7 days)
    report = collect_stats(db, library, NOW, UTC, exercises=[])
    windows = {w.days: (w.reviews, w.passed) for w in report.retention}
    assert windows == {7: (3, 2), 30: (4, 2), 90: (5, 3)}
    assert report.main_retention.rate == pytest.approx(0.5)
    document = report.to_json()["retention"]
    assert document["target"] == 0.9
    assert document["windows"][1] == {"days": 30, "reviews": 4, "passed": 2, "rate": 0.5}


def test_retention_reads_the_partial_index(db: Database) -> None:
    plan = db.query(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM reviews WHERE reviewed_at >= ? "
        "AND reviewed_at < ? AND mode = 'drill' AND json_extract(state_before, '$.state') = 2",
        ("2026", "2027"),
    )
    assert "reviews_review_state" in " ".join(row["detail"] for row in plan)


# --- activity ---------------------------------------------------------------------------------


def test_daily_counts_follow_study_days_across_dst(db: Database, library: LoadResult) -> None:
    paris = ZoneInfo("Europe/Paris")  # CET -> CEST at 01:00 UTC on 2026-03-29
    moments = [
        at(28, 10),  # 11:00 CET: day 03-28
        at(29, 1, 30),  # 03:30 CEST: still day 03-28 (a 23-hour study day)
        at(29, 2, 30),  # 04:30 CEST: day 03-29 (a fixed +01:00 offset would say 03-28)
        at(30, 1, 59),  # 03:59 CEST: day 03-29
        at(31, 2, 0),  # 04:00 CEST: day 03-31
    ]
    for moment in moments:
        answer(db, "beta/b4", 3, moment)
    answer(db, "beta/b4", 3, at(31, 3), mode="cram")  # cram answers are not reviews
    now = at(31, 12)
    report = collect_stats(db, library, now, paris, exercises=[])
    act = report.activity
    assert act.last == date(2026, 3, 31) and act.first == date(2025, 4, 1)
    assert len(act.daily) == 365 and sum(act.daily) == 5
    assert list(act.daily[-4:]) == [2, 2, 0, 1]
    assert (act.days_active, act.streak, act.longest_streak) == (3, 1, 2)
    assert act.average == pytest.approx(5 / 3)
    assert report.reviews_today == 1 and report.reviews_total == 5
    assert report.cram_total == 1


def test_a_first_session_leaves_nothing_due_tomorrow(db: Database, library: LoadResult) -> None:
    """Cards learned a minute ago are due again in minutes: today, not tomorrow."""
    for card in ("a1", "a2", "a3"):
        answer(db, f"alpha/{card}", Rating.Good, NOW)  # the 10-minute step
    answer(db, "alpha/a4", Rating.Again, NOW)  # the 1-minute step
    report = collect_stats(db, library, NOW + timedelta(minutes=1), UTC, exercises=[])
    assert report.due_tomorrow == 0
    document = report.to_json()
    assert document["due_today"] == 4
    assert document["due_outlook"] == {
        "now": 1,
        "soon_minutes": [9, 9, 9],
        "later_today": 0,
        "tomorrow": 0,
    }
    from quizapp.commands.stats import summary_lines

    lines = summary_lines(report)
    assert "due: 1 card due now, 3 cards due again in 9 min; none tomorrow" in lines
    assert not any("come due tomorrow" in line for line in lines)


def test_activity_streak_waits_for_today() -> None:
    today = date(2026, 3, 10)
    # ... 4, 0, 2, 5 and nothing yet today: the streak of 2 still stands
    assert activity([4, 0, 2, 5, 0], today).streak == 2
    assert activity([4, 0, 2, 5, 1], today).streak == 3
    assert activity([4, 0, 0, 5, 0, 0], today).streak == 0
    empty = activity([0, 0, 0], today)
    assert (empty.days_active, empty.streak, empty.longest_streak, empty.average) == (
        0,
        0,
        0,
        None,
    )


def test_heat_levels_are_quartiles_of_active_days() -> None:
    # active counts 1, 2, 3, 4, 100: cuts at the 1st, 2nd, 3rd of 5 sorted (2, 3, 4)
    assert heat_levels([0, 1, 2, 3, 4, 100, 0]) == [0, 1, 1, 2, 3, 4, 0]
    assert heat_levels([0, 0]) == [0, 0]
    assert heat_levels([7, 7, 7]) == [1, 1, 1]


# --- weakest decks and tags ---------------------------------------------------------------------


def test_weakest_decks_and_tags_by_hand(db: Database, library: LoadResult) -> None:
    def answers(key: str, n: int, again: int, when: datetime, mode: str = "cram") -> None:
        for i in range(n):
            answer(db, key, 1 if i < again else 3, when + timedelta(seconds=i), mode)

    window_start = at(9, 4, month=2)  # the last 30 study days: 02-09 .. 03-10
    answers("alpha/a1", 10, 4, at(5, 9))  # tags calibration, ptq
    answers("alpha/a3", 12, 2, at(6, 9), mode="drill")  # qat
    answers("alpha/a4", 10, 5, window_start)  # qat, ptq (the first second of the window)
    answers("beta/b1", 20, 1, at(1, 9))  # int8
    answers("beta/b2", 5, 5, window_start - timedelta(seconds=10))  # before the window
    answers("beta/b2", 3, 3, at(2, 9), mode="mock")  # mocks log misses only: left out
    report = collect_stats(db, library, NOW, UTC, exercises=[])
    # alpha 32 answers, 11 Again: 21/32; beta 20 answers, 1 Again: 19/20
    assert [(w.name, w.reviews, w.again) for w in report.weak_decks] == [
        ("alpha", 32, 11),
        ("beta", 20, 1),
    ]
    assert report.weak_decks[0].accuracy == pytest.approx(21 / 32)
    # ptq: a1 + a4 = 20 answers, 9 Again; qat: a3 + a4 = 22, 7; int8: b1 = 20, 1;
    # calibration: a1 only, 10 answers, below the 20 needed
    assert [(w.name, w.reviews, w.again) for w in report.weak_tags] == [
        ("ptq", 20, 9),
        ("qat", 22, 7),
        ("int8", 20, 1),
    ]
    weak = report.to_json()["weakest"]
    assert weak["window_days"] == 30 and weak["min_reviews"] == 20
    assert weak["tags"][0] == {"name": "ptq", "reviews": 20, "again": 9, "accuracy": 0.55}


def test_weakest_orders_ties_by_answers_then_name() -> None:
    totals = {"b": (40, 10), "a": (20, 5), "c": (20, 5), "d": (19, 19), "e": (50, 0)}
    assert [s.name for s in weakest(totals, limit=3)] == ["b", "a", "c"]


# --- leeches ------------------------------------------------------------------------------------


def test_leeches_are_cards_with_eight_lapses(db: Database, library: LoadResult) -> None:
    def lapses(key: str, count: int) -> None:
        moment = at(1, 9, month=1)
        answer(db, key, 3, moment)
        answer(db, key, 3, moment + timedelta(minutes=10))
        for _ in range(count):  # forgotten in review, then relearned: one lapse each
            moment += timedelta(days=3)
            answer(db, key, 1, moment)
            answer(db, key, 3, moment + timedelta(minutes=10))

    lapses("alpha/a5", 8)
    lapses("alpha/a6", 7)
    report = collect_stats(db, library, NOW, UTC, exercises=[])
    [leech] = report.leeches
    assert (leech.deck, leech.card, leech.lapses, leech.reps) == ("alpha", "a5", 8, 18)
    assert (
        leech.prompt == "Which scale does a symmetric INT8 scheme use for weights in [-0.5, 0.5]?"
    )
    assert report.totals.leeches == 1
    assert report.to_json()["leeches"] == [
        {"deck": "alpha", "card": "a5", "lapses": 8, "reps": 18, "prompt": leech.prompt}
    ]


# --- mocks and exercises ----------------------------------------------------------------------


def test_mock_trend_by_hand() -> None:
    mocks = [{"score": s, "max_score": 10} for s in (5, 6, 7, 8, 9)]
    trend = mock_trend(mocks)
    # 5 mocks: the last 2 (80, 90) against the 2 before (60, 70)
    assert trend.percents == (50.0, 60.0, 70.0, 80.0, 90.0)
    assert (trend.last, trend.best, trend.change) == (90.0, 90.0, pytest.approx(20.0))
    assert mock_trend(mocks[:1]).change is None
    assert mock_trend([]).to_json() == {
        "count": 0,
        "percents": [],
        "last": None,
        "best": None,
        "change": None,
    }


def grade(
    status: str, size: float | None, drop: float | None, speedup: float, score: float = 10
) -> dict:
    return {
        "exercise": "ptq-resnet18",
        "status": status,
        "score": score,
        "max_score": 10,
        "duration_s": 8.5,
        "message": "",
        "checks": [
            {"name": "returns a module", "status": "pass", "message": "", "measured": "X"},
            {
                "name": "size <= 0.30 of FP32",
                "status": "pass",
                "message": "",
                "measured": size,
                "threshold": "<= 0.30",
                "direction": "lower",
            },
            {
                "name": "accuracy drop <= 1 point",
                "status": "pass",
                "message": "",
                "measured": drop,
                "threshold": "<= 1 point",
                "direction": "lower",
            },
            {
                "name": "speedup >= 1.2x",
                "status": "warn",
                "message": "",
                "measured": speedup,
                "threshold": ">= 1.2x (soft)",
                "direction": "higher",
            },
        ],
        "env": {"torch": "2.14.1", "engine": "x86", "threads": 1},
    }


def test_exercises_passed_with_best_figures(db: Database, library: LoadResult) -> None:
    record_result(db, grade("fail", 0.95, None, 3.0, score=4), finished_at=at(1, 9))
    record_result(db, grade("pass", 0.262, 0.4, 1.1), finished_at=at(2, 9))
    record_result(db, grade("pass", 0.258, 0.6, 2.3), finished_at=at(3, 9))
    record_result(db, grade("error", None, None, 0.0, score=0), finished_at=at(4, 9))
    catalogue = [("ptq-resnet18", "PTQ of a ResNet-18"), ("qat-basics", "QAT basics")]
    report = collect_stats(db, library, NOW, UTC, exercises=catalogue)
    ptq, qat = report.to_json()["exercises"]
    # best over the passes only: the smallest size and drop, the largest speedup (the failed
    # run's 3.0x is not a best figure); the last status was an error, but it has passed
    assert ptq == {
        "id": "ptq-resnet18",
        "title": "PTQ of a ResNet-18",
        "status": "passed",
        "attempts": 4,
        "passed": True,
        "best_score": 10.0,
        "max_score": 10.0,
        "passed_at": "2026-03-02T09:00:00+00:00",
        "best": [
            {"check": "size <= 0.30 of FP32", "measured": 0.258, "threshold": "<= 0.30"},
            {"check": "accuracy drop <= 1 point", "measured": 0.4, "threshold": "<= 1 point"},
            {"check": "speedup >= 1.2x", "measured": 2.3, "threshold": ">= 1.2x (soft)"},
        ],
    }
    assert qat["status"] == "new" and qat["attempts"] == 0 and qat["best"] == []


def test_exercise_summary_of_a_result_outside_the_catalogue() -> None:
    attempt = ExerciseAttempt("gone", at(1, 9), "fail", 3, 10)
    [summary] = exercise_summaries([], [attempt])
    assert (summary.id, summary.title, summary.status, summary.passed) == (
        "gone",
        "gone",
        "fail",
        False,
    )
    assert best_figures([attempt]) == ()


# --- readiness ----------------------------------------------------------------------------------


def test_readiness_for_the_interview_date(db: Database, library: LoadResult) -> None:
    set_interview_date(db, date(2026, 3, 20))
    answer(db, "alpha/a2", 3, at(9, 10))
    answer(db, "alpha/a2", 3, at(9, 10, 10))  # review, due 03-11
    answer(db, "beta/b1", 3, at(10, 11))  # learning, due 11:10
    report = collect_stats(db, library, NOW, UTC, exercises=[])
    ready = report.interview
    assert ready is not None
    moment = at(20, 4)  # the interview day starts 04:00
    states = gather(db, library, NOW, UTC, exercises=[]).states
    recalls = [
        SCHEDULER.get_card_retrievability(states[k].to_fsrs(), moment)
        for k in ("alpha/a2", "beta/b1")
    ]
    assert (ready.days_left, ready.cards, ready.seen, ready.unseen) == (10, 10, 2, 8)
    assert ready.new_per_day == math.ceil(8 / 10)
    assert ready.due_before == 2
    assert ready.predicted_recall == pytest.approx(sum(recalls) / 2)
    assert ready.predicted_recall_all == pytest.approx(sum(recalls) / 10)
    document = report.to_json()
    assert document["interview_date"] == "2026-03-20"
    assert document["interview"]["seen_share"] == 0.2
    assert document["interview"]["new_per_day"] == 1


def test_readiness_after_the_interview_predicts_nothing() -> None:
    state = graduate(None, "alpha", "a1", at(1, 9))
    ready = readiness(date(2026, 3, 5), date(2026, 3, 10), UTC, 10, [state])
    assert ready.days_left == -5
    assert ready.predicted_recall is None and ready.predicted_recall_all is None


# --- the whole document -----------------------------------------------------------------------


def test_document_keeps_earlier_fields_and_adds_the_new_ones(
    db: Database, library: LoadResult
) -> None:
    answer(db, "alpha/a2", 3, at(9, 10))
    answer(db, "alpha/a2", 3, at(9, 10, 10))
    from quizapp.commands.stats import stats_document

    document = stats_document(db, library, now=NOW, tz=UTC, exercises=[])
    json.dumps(document)  # JSON-ready
    for key in ("reviews_total", "reviews_today", "due_tomorrow", "interview_date", "totals"):
        assert key in document
    assert document["decks"][0] == {
        "deck": "alpha",
        "title": "Alpha deck",
        "cards": 6,
        "new": 5,
        "learning": 0,
        "review": 1,
        "mastered": 1,
        "due": 0,
        "leeches": 0,
    }
    assert document["forecast"] == [0, 1] + [0] * 12  # a2 comes due on 03-11
    assert document["due_tomorrow"] == 1
    assert document["mocks"] == [] and document["mock_trend"]["count"] == 0
    assert document["retention"]["windows"][0] == {
        "days": 7,
        "reviews": 0,
        "passed": 0,
        "rate": None,
    }
    assert len(document["activity"]["daily"]) == 365
    assert document["activity"]["daily"][-2:] == [2, 0]
    assert document["leeches"] == [] and document["exercises"] == []
    assert "interview" not in document
