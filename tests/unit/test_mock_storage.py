"""Mocks in SQLite: saved on every change, resumed after a crash, misses fed to the queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from unit.test_mock import FIXTURES, FakeClock

from quizapp.core.loader import load_decks
from quizapp.core.mock.draw import MockSetup, draw_questions
from quizapp.core.mock.run import MockRun
from quizapp.storage.db import Database
from quizapp.storage.locations import locations
from quizapp.storage.mocks import (
    MockNotFound,
    abandon_mock,
    create_mock,
    finish_mock,
    load_mock,
    load_report,
    miss_stats,
    mock_history,
    mocks_for_stats,
    save_run,
    unfinished_mocks,
    write_markdown_report,
)
from quizapp.storage.reviews import load_state, record_review, reviews_of

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
END = datetime(2026, 5, 1, 9, 2, tzinfo=UTC)


@pytest.fixture
def db(quizapp_home: Path) -> Database:
    with Database() as database:
        yield database


def new_mock(db: Database, clock: FakeClock, **setup: object) -> tuple[str, MockSetup, MockRun]:
    library = load_decks([FIXTURES])
    mock_setup = MockSetup(**{"questions": 4, "minutes": 2, "seed": 5, **setup})
    questions = draw_questions(library.decks, mock_setup)
    run = MockRun(questions, mock_setup.time_limit_s, mock_setup.per_question_s, clock)
    return create_mock(db, mock_setup, run, started_at=START), mock_setup, run


def answer_all_auto(run: MockRun, wrong: bool = False) -> None:
    """Answer the auto-graded questions (right, or all wrong); leave self-graded ones blank."""
    for i, question in enumerate(run.questions):
        if question.kind == "choice":
            others = [j for j in range(len(question.options)) if j not in question.correct_choices]
            picked = others[:1] if wrong else list(question.correct_choices)
            run.answer({"choices": picked}, i)
        elif question.kind in ("numeric", "generated"):
            run.answer(
                {
                    "fields": {
                        f.name: "-12345" if wrong else f"{f.value:.10g}" for f in question.fields
                    }
                },
                i,
            )


def test_create_and_load_keep_questions_answers_and_ids(db: Database) -> None:
    clock = FakeClock()
    first, setup, run = new_mock(db, clock)
    second, *_ = new_mock(db, clock)
    assert (first, second) == ("1", "2")
    clock.advance(8)
    run.answer({"text": "x"} if run.questions[0].self_rated else None)
    save_run(db, first, setup, run, positions=[run.current])
    stored = load_mock(db, first, clock=FakeClock(0))
    assert stored.setup == setup and stored.started_at == START and stored.status == "running"
    assert [q.to_dict() for q in stored.run.questions] == [q.to_dict() for q in run.questions]
    assert stored.run.time_spent[0] == pytest.approx(8)
    assert stored.remaining_s == pytest.approx(112)
    with pytest.raises(MockNotFound, match="no mock '99'"):
        load_mock(db, "99")


def test_unfinished_mock_resumes_with_its_remaining_time(db: Database) -> None:
    clock = FakeClock()
    mock_id, setup, run = new_mock(db, clock, per_question_s=30.0)
    clock.advance(40)  # q0 ran out at 30 s; 10 s on q1
    run.tick()
    save_run(db, mock_id, setup, run)
    # ... the process is killed here; a new one starts with another monotonic clock.
    later = FakeClock(5.0)
    [stored] = unfinished_mocks(db, clock=later)
    assert stored.id == mock_id and stored.remaining_s == pytest.approx(80)
    resumed = stored.run
    resumed.resumed()
    assert resumed.current == 1 and resumed.interruptions == 1
    later.advance(20)
    assert resumed.tick().moved  # q1's budget: 10 + 20 = 30 s
    save_run(db, mock_id, stored.setup, resumed)
    again = load_mock(db, mock_id)
    assert again.run.interruptions == 1
    assert again.run.time_spent[:3] == pytest.approx([30, 30, 0])
    abandon_mock(db, mock_id)
    assert unfinished_mocks(db) == []
    assert load_mock(db, mock_id).status == "abandoned"


def test_finishing_feeds_misses_to_the_review_queue_once(db: Database) -> None:
    clock = FakeClock()
    mock_id, setup, run = new_mock(db, clock, questions=6, minutes=3)
    answer_all_auto(run, wrong=True)
    self_rated = [i for i, q in enumerate(run.questions) if q.self_rated]
    assert self_rated, "the fixture draw should include a flashcard or free question"
    run.answer({"text": "what I would say"}, self_rated[0])
    clock.advance(30)
    run.submit()
    assert run.status == "grading"
    save_run(db, mock_id, setup, run)
    assert load_mock(db, mock_id).status == "grading"
    [position] = run.pending_judgments()
    question = run.questions[position]
    run.judge(
        position,
        {"mark": "right"}
        if question.kind == "flashcard"
        else {"covered": list(range(len(question.key_points)))},
    )
    recorded = finish_mock(db, mock_id, setup, run, finished_at=END)
    assert len(recorded) == len(run.misses()) == len(run.questions) - 1
    for i in run.misses():
        q = run.questions[i]
        [review] = reviews_of(db, q.deck, q.card)
        assert review.rating == 1 and review.mode == "mock"
        assert review.answer["mock"] == mock_id and review.answer["position"] == i
        state = load_state(db, q.deck, q.card)
        assert state is not None and state.lapses == 0  # a new card, now in learning
    # A crash after the reviews but before the final save: finishing again adds none.
    with db.transaction() as conn:
        conn.execute("UPDATE mocks SET status = 'grading' WHERE id = ?", (mock_id,))
    stored = load_mock(db, mock_id)
    stored.run.judge(position, run.judgments[position])
    assert finish_mock(db, mock_id, stored.setup, stored.run, finished_at=END) == []
    finished = load_mock(db, mock_id)
    assert finished.status == "finished" and finished.finished_at == END
    rows = db.query(
        "SELECT verdict, score FROM mock_questions WHERE mock_id = ? ORDER BY position", (mock_id,)
    )
    assert [r["verdict"] for r in rows] == [run.result(i)[0] for i in range(len(run.questions))]


def test_a_partly_right_free_answer_goes_back_as_hard_not_as_a_miss(db: Database) -> None:
    clock = FakeClock()
    mock_id, setup, run = new_mock(db, clock, questions=4, decks=("mock-basics",))
    [free] = [i for i, q in enumerate(run.questions) if q.kind == "free"]
    question = run.questions[free]
    assert len(question.key_points) == 2
    run.answer({"text": "PTQ needs no retraining"}, free)
    run.submit()
    run.judge(free, {"covered": [0]})  # half the key points, as a drill rates it: Hard
    finish_mock(db, mock_id, setup, run, finished_at=END)
    [review] = reviews_of(db, question.deck, question.card)
    assert review.rating == 2 and review.mode == "mock"
    report = load_report(db, mock_id)
    assert free + 1 not in [r.position for r in report.misses]
    assert [r.position for r in report.partly_right] == [free + 1]


def test_history_stats_and_report(db: Database) -> None:
    clock = FakeClock()
    mock_id, setup, run = new_mock(db, clock)
    new_mock(db, clock)  # left unfinished: not in the history
    answer_all_auto(run)
    clock.advance(61.5)
    run.submit()
    finish_mock(db, mock_id, setup, run, finished_at=END)
    [entry] = mock_history(db)
    assert entry["id"] == mock_id and entry["questions"] == 4
    assert entry["score"] == run.score and entry["max_score"] == 4
    assert entry["duration_s"] == pytest.approx(61.5)
    assert mocks_for_stats(db) == [
        {
            "id": mock_id,
            "started_at": "2026-05-01T09:00:00.000000Z",
            "finished_at": "2026-05-01T09:02:00.000000Z",
            "score": run.score,
            "max_score": 4.0,
            "questions": 4,
        }
    ]
    report = load_report(db, mock_id, deck_titles={"mock-basics": "Mock basics"})
    assert report.score == run.score and report.started_at == START
    path = write_markdown_report(report)
    assert path == locations().reports_dir / f"mock-{mock_id}.md"
    assert path.read_text().startswith(f"# Mock interview {mock_id}: ")
    with pytest.raises(ValueError, match="not finished yet"):
        load_report(db, "2")


def test_miss_stats_count_drills_and_mocks_once(db: Database) -> None:
    clock = FakeClock()
    record_review(db, "mock-math", "int8-mb", 1, mode="drill", now=START)
    record_review(db, "mock-math", "int8-mb", 3, mode="drill", now=END)
    mock_id, setup, run = new_mock(db, clock, questions=3, decks=("mock-math",))
    answer_all_auto(run, wrong=True)
    run.submit()
    finish_mock(db, mock_id, setup, run, finished_at=END)
    stats = miss_stats(db)
    assert stats["mock-math/int8-mb"].seen == 3 and stats["mock-math/int8-mb"].missed == 2
    assert stats["mock-math/qparams"].seen == 1 and stats["mock-math/qparams"].missed == 1
    # The mock misses are also reviews (mode 'mock'), but they are not counted twice.
    assert len(db.query("SELECT * FROM reviews WHERE mode = 'mock'")) == 3
    stored_answer = db.query("SELECT answer FROM reviews WHERE mode = 'mock' LIMIT 1")[0]["answer"]
    assert json.loads(stored_answer)["mock"] == mock_id


def test_stats_json_lists_finished_mocks(db: Database) -> None:
    from quizapp.commands.stats import stats_document

    clock = FakeClock()
    mock_id, setup, run = new_mock(db, clock, questions=2, decks=("mock-math",))
    run.submit()
    finish_mock(db, mock_id, setup, run, finished_at=END)
    document = stats_document(db, load_decks([FIXTURES]), now=END)
    assert document["mocks"] == mocks_for_stats(db)
    assert [(m["id"], m["score"], m["max_score"], m["questions"]) for m in document["mocks"]] == [
        (mock_id, 0.0, 2.0, 2)
    ]
