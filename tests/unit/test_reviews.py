"""Reviews in SQLite: one transaction per answer, undo, cram leaves the schedule alone."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from quizapp.core.fsrs_scheduler import fsrs_card_id
from quizapp.core.loader import load_decks
from quizapp.storage.db import Database
from quizapp.storage.reviews import (
    UndoError,
    cram_total,
    deck_counts,
    due_before,
    get_interview_date,
    get_learn_ahead,
    get_new_per_session,
    introduced_since,
    leeches,
    load_state,
    load_states,
    record_review,
    reviews_between,
    reviews_of,
    reviews_total,
    set_interview_date,
    set_learn_ahead,
    set_new_per_session,
    undo_last_review,
    undo_review,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(quizapp_home: Path) -> Database:
    with Database() as database:
        yield database


def test_record_review_stores_the_review_and_the_new_state(db: Database) -> None:
    review_id = record_review(
        db,
        "calib",
        "why",
        Rating.Good,
        mode="drill",
        duration_ms=4200,
        correct=True,
        answer={"choice": [1]},
        now=NOW,
    )
    assert isinstance(review_id, int)
    [stored] = reviews_of(db, "calib", "why")
    assert stored.id == review_id
    assert stored.rating == Rating.Good
    assert stored.duration_ms == 4200
    assert stored.mode == "drill"
    assert stored.correct is True
    assert stored.answer == {"choice": [1]}
    assert stored.reviewed_at == NOW
    state = load_state(db, "calib", "why")
    assert state is not None
    assert state.state == State.Learning
    assert state.step == 1
    assert state.due == NOW + timedelta(minutes=10)
    assert state.reps == 1 and state.lapses == 0
    # The state before is kept for undo: JSON null for a card that was new.
    row = db.query("SELECT state_before FROM reviews WHERE id = ?", (review_id,))[0]
    assert json.loads(row[0]) is None


def test_due_dates_equal_what_fsrs_computes_for_the_same_sequence(db: Database) -> None:
    scheduler = Scheduler(desired_retention=0.9, enable_fuzzing=False)
    card = FsrsCard(card_id=fsrs_card_id("d/c"), due=NOW)
    moment = NOW
    sequence = [
        Rating.Good,
        Rating.Good,
        Rating.Good,
        Rating.Again,
        Rating.Hard,
        Rating.Good,
        Rating.Easy,
        Rating.Again,
        Rating.Good,
    ]
    for rating in sequence:
        card, _ = scheduler.review_card(card, rating, moment)
        record_review(db, "d", "c", rating, mode="drill", now=moment)
        state = load_state(db, "d", "c")
        assert state is not None
        assert state.due == card.due
        assert state.state == card.state
        assert state.stability == pytest.approx(card.stability, rel=1e-12)
        assert state.difficulty == pytest.approx(card.difficulty, rel=1e-12)
        moment = card.due  # review exactly when due
    assert load_state(db, "d", "c").lapses == 2
    assert load_state(db, "d", "c").reps == len(sequence)


def test_cram_reviews_are_logged_but_leave_the_schedule_alone(db: Database) -> None:
    record_review(db, "d", "c", Rating.Good, mode="drill", now=NOW)
    before = load_state(db, "d", "c")
    review_id = record_review(db, "d", "c", Rating.Again, mode="cram", now=NOW + timedelta(hours=1))
    assert load_state(db, "d", "c") == before
    # Kept apart: a cram answer is no review (the schedule did not move).
    assert (reviews_total(db), cram_total(db)) == (1, 1)
    assert reviews_between(db, NOW, NOW + timedelta(days=1)) == 1
    # Cram on a card never seen: logged, still new.
    record_review(db, "d", "new-one", Rating.Good, mode="cram", now=NOW)
    assert load_state(db, "d", "new-one") is None
    undone = undo_review(db, review_id)
    assert undone.mode == "cram"
    assert load_state(db, "d", "c") == before


def test_mock_miss_puts_the_card_back_as_again(db: Database) -> None:
    record_review(db, "d", "c", Rating.Good, mode="drill", now=NOW)
    record_review(db, "d", "c", Rating.Good, mode="drill", now=NOW + timedelta(minutes=10))
    assert load_state(db, "d", "c").state == State.Review
    later = NOW + timedelta(days=2)
    record_review(db, "d", "c", Rating.Again, mode="mock", correct=False, now=later)
    state = load_state(db, "d", "c")
    assert state.state == State.Relearning
    assert state.due == later + timedelta(minutes=10)
    assert state.lapses == 1


def test_undo_restores_the_state_before_and_deletes_the_review(db: Database) -> None:
    record_review(db, "d", "c", Rating.Good, mode="drill", now=NOW)
    first = load_state(db, "d", "c")
    second_id = record_review(
        db, "d", "c", Rating.Easy, mode="drill", now=NOW + timedelta(minutes=9)
    )
    assert load_state(db, "d", "c") != first
    undo_review(db, second_id)
    assert load_state(db, "d", "c") == first
    assert len(reviews_of(db, "d", "c")) == 1
    # Undoing the first review makes the card new again.
    undone = undo_last_review(db)
    assert undone.rating == Rating.Good
    assert load_state(db, "d", "c") is None
    assert reviews_total(db) == 0
    with pytest.raises(UndoError):
        undo_last_review(db)


def test_only_the_latest_review_of_a_card_can_be_undone(db: Database) -> None:
    first = record_review(db, "d", "c", Rating.Good, mode="drill", now=NOW)
    record_review(db, "d", "c", Rating.Good, mode="drill", now=NOW + timedelta(minutes=10))
    with pytest.raises(UndoError, match="not its latest"):
        undo_review(db, first)
    with pytest.raises(UndoError, match="no review 999"):
        undo_review(db, 999)


def test_bad_arguments_are_refused_and_nothing_is_written(db: Database) -> None:
    with pytest.raises(ValueError, match="mode"):
        record_review(db, "d", "c", 3, mode="exam", now=NOW)
    with pytest.raises(ValueError, match="rating"):
        record_review(db, "d", "c", 5, mode="drill", now=NOW)
    with pytest.raises(ValueError, match="naive"):
        record_review(db, "d", "c", 3, mode="drill", now=datetime(2026, 1, 1))
    assert reviews_total(db) == 0
    assert load_states(db) == {}


def test_a_failing_write_rolls_the_whole_review_back(db: Database) -> None:
    # The state is written first; make the review insert fail after it: nothing may remain.
    db.conn.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON reviews "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk says no"):
        record_review(db, "d", "c", 3, mode="drill", now=NOW)
    db.conn.execute("DROP TRIGGER refuse")
    assert reviews_total(db) == 0
    assert load_state(db, "d", "c") is None


DECK = textwrap.dedent(
    """\
    deck: t-counts
    title: Counts
    cards:
      - {id: a, type: flashcard, prompt: A?, answer: a}
      - {id: b, type: flashcard, prompt: B?, answer: b}
      - {id: c, type: flashcard, prompt: C?, answer: c}
      - {id: d, type: flashcard, prompt: D?, answer: d}
    """
)


def test_deck_counts_new_learning_review_due(db: Database, tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(DECK)
    library = load_decks([tmp_path])
    record_review(db, "t-counts", "a", Rating.Good, mode="drill", now=NOW)  # learning, +10 min
    record_review(db, "t-counts", "b", Rating.Easy, mode="drill", now=NOW)  # review, +8 d
    record_review(db, "t-counts", "gone", Rating.Easy, mode="drill", now=NOW)  # not in the deck
    counts = deck_counts(db, library, NOW, tz=UTC)["t-counts"]
    assert (counts.cards, counts.new, counts.learning, counts.review) == (4, 2, 1, 1)
    assert counts.due == 1  # the learning card is within the learn-ahead limit
    later = deck_counts(db, library, NOW + timedelta(days=8), tz=UTC)["t-counts"]
    assert later.due == 2
    assert due_before(db, NOW + timedelta(days=8)) == 1  # a (learning)
    assert due_before(db, NOW + timedelta(days=9)) == 3  # b, and the card no deck has
    assert due_before(db, NOW + timedelta(days=9), {"t-counts/b", "t-counts/c"}) == 1
    assert introduced_since(db, NOW) == 3
    assert introduced_since(db, NOW + timedelta(seconds=1)) == 0


def test_leeches_are_cards_with_eight_lapses(db: Database) -> None:
    moment = NOW
    record_review(db, "d", "c", Rating.Easy, mode="drill", now=moment)
    for _ in range(8):
        moment = load_state(db, "d", "c").due
        record_review(db, "d", "c", Rating.Again, mode="drill", now=moment)  # a lapse
        moment = load_state(db, "d", "c").due
        record_review(db, "d", "c", Rating.Good, mode="drill", now=moment)  # relearned
    assert load_state(db, "d", "c").lapses == 8
    assert [s.key for s in leeches(db)] == ["d/c"]


def test_settings_round_trip(db: Database) -> None:
    assert get_interview_date(db) is None
    set_interview_date(db, date(2026, 12, 15))
    assert get_interview_date(db) == date(2026, 12, 15)
    set_interview_date(db, None)
    assert get_interview_date(db) is None
    db.set_config("interview-date", "garbage")
    assert get_interview_date(db) is None
    assert get_new_per_session(db) == 20
    set_new_per_session(db, 5)
    assert get_new_per_session(db) == 5
    with pytest.raises(ValueError):
        set_new_per_session(db, -1)


def test_learn_ahead_setting_round_trips_and_counts_due_cards(db: Database, tmp_path: Path) -> None:
    assert get_learn_ahead(db) == timedelta(minutes=20)
    set_learn_ahead(db, timedelta(minutes=5))
    assert get_learn_ahead(db) == timedelta(minutes=5)
    with pytest.raises(ValueError, match="between 0 and 1440 minutes"):
        set_learn_ahead(db, timedelta(days=2))
    assert get_learn_ahead(db) == timedelta(minutes=5)
    db.set_config("learn-ahead", "garbage")
    assert get_learn_ahead(db) == timedelta(minutes=20)
    # A learning step due in 10 minutes is due now only within the limit.
    (tmp_path / "t.yaml").write_text(DECK)
    library = load_decks([tmp_path])
    record_review(db, "t-counts", "a", Rating.Good, mode="drill", now=NOW)
    assert deck_counts(db, library, NOW, tz=UTC)["t-counts"].due == 1
    set_learn_ahead(db, timedelta(minutes=5))
    assert deck_counts(db, library, NOW, tz=UTC)["t-counts"].due == 0
    set_learn_ahead(db, None)
    assert get_learn_ahead(db) == timedelta(minutes=20)


def test_a_database_of_schema_1_migrates_with_everything_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database made by the first schema (every install before cram was kept apart) opens
    with its reviews and states intact, cram answers told apart, the new index in place."""
    from quizapp.storage import db as dbmod
    from quizapp.storage.stats import daily_review_counts

    path = tmp_path / "old.sqlite3"
    with monkeypatch.context() as old_quizapp:
        old_quizapp.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:1])
        old_quizapp.setattr(dbmod, "SCHEMA_VERSION", 1)
        with Database(path) as old:
            record_review(old, "d", "c", Rating.Good, mode="drill", now=NOW)
            record_review(old, "d", "c", Rating.Again, mode="cram", now=NOW)
            record_review(old, "d", "e", Rating.Easy, mode="mock", now=NOW)
            states = load_states(old)
            assert old.query("PRAGMA user_version")[0][0] == 1
    with Database(path) as db:
        assert db.query("PRAGMA user_version")[0][0] == dbmod.SCHEMA_VERSION
        assert load_states(db) == states
        assert [r.mode for r in reviews_of(db, "d", "c")] == ["drill", "cram"]
        assert (reviews_total(db), cram_total(db)) == (2, 1)
        assert daily_review_counts(db, [NOW.date()], UTC) == [2]
        indexes = {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "reviews_time_mode" in indexes and "reviews_time" not in indexes
        plan = db.query(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM reviews "
            "WHERE reviewed_at >= ? AND reviewed_at < ? AND mode != 'cram'",
            ("2026", "2027"),
        )
        assert "COVERING INDEX reviews_time_mode" in " ".join(r["detail"] for r in plan)
