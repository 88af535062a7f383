"""Interview loops in SQLite: saved, killed and resumed with their time, finished once (misses
queued as Again, never twice), listed for stats, reported; and a loop's code is its own copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from fsrs import Rating
from unit.test_interview_loop import FAILED, FakeClock, choice, new_loop

from quizapp.core.loader import LoadResult
from quizapp.grading.catalogue import load_catalogue
from quizapp.storage.db import Database
from quizapp.storage.interview_loops import (
    LoopNotFound,
    abandon_loop,
    create_loop,
    finish_loop,
    load_loop,
    load_loop_report,
    loops_for_stats,
    save_loop,
    unfinished_loops,
    write_loop_markdown,
)
from quizapp.storage.reviews import reviews_of
from quizapp.storage.stats import collect_stats
from quizapp.storage.workspace import ensure_workspace, loop_copy


@pytest.fixture
def db(quizapp_home: Path) -> Database:
    with Database() as database:
        yield database


def test_a_loop_killed_mid_coding_resumes_from_the_database_with_its_time(db: Database) -> None:
    clock = FakeClock()
    loop = new_loop(clock, coding_minutes=20)
    loop_id = create_loop(db, loop)
    loop.concepts.answer({"choices": [0]})
    loop.concepts.submit()
    loop.coding.start()
    clock.advance(500)
    loop.coding.begin_grade("sha")
    save_loop(db, loop_id, loop)
    # the process dies here; a new one, with its own clock, opens the database
    later = FakeClock(start=10.0)
    [stored] = unfinished_loops(db, later)
    assert stored.id == loop_id and stored.status == "coding"
    stored.loop.resumed()
    assert stored.loop.remaining_s == pytest.approx(700)
    assert stored.loop.coding.grades_run == 1 and stored.loop.coding.in_flight() == []


def test_finishing_queues_the_misses_once_and_lists_the_loop_for_stats(db: Database) -> None:
    clock = FakeClock()
    questions = [choice("q1", "int8-math"), choice("q2", "int8-math")]
    loop = new_loop(clock, questions)
    loop_id = create_loop(db, loop)
    loop.concepts.answer({"choices": [1]}, 0)
    loop.concepts.answer({"choices": [2]}, 1)
    loop.concepts.submit()
    loop.coding.start()
    grade = loop.coding.begin_grade("s")
    loop.coding.end_grade(grade, FAILED)
    loop.coding.submit()
    assert not loop.coding.final_grade_needed("s")
    first = finish_loop(db, loop_id, loop)
    again = finish_loop(db, loop_id, loop)  # a crash after the reviews: finishing again
    assert len(first) == 1 and again == []
    assert [(r.rating, r.mode) for r in reviews_of(db, "int8-math", "q2")] == [
        (Rating.Again, "mock")
    ]
    assert loops_for_stats(db) == [
        {
            "id": loop_id,
            "started_at": loops_for_stats(db)[0]["started_at"],
            "finished_at": loops_for_stats(db)[0]["finished_at"],
            "concept_score": 1.0,
            "concept_max": 2.0,
            "exercise": "int8-affine-math",
            "coding_passed": False,
        }
    ]
    stats = collect_stats(db, LoadResult(decks=[], errors=[]), exercises=[]).to_json()
    assert [
        (row["id"], row["concept_score"], row["coding_passed"]) for row in stats["interview_loops"]
    ] == [(loop_id, 1.0, False)]
    report = load_loop_report(db, loop_id, "INT8 affine math", {"int8-math": "INT8 math"})
    path = write_loop_markdown(report)
    text = path.read_text()
    assert text.startswith(f"# Interview loop {loop_id}: concepts 1 / 2 (50%), coding not passed")
    assert "- INT8 math: fair, revise this deck" in text
    assert "| accuracy | FAIL |" in text and "Grades run: 1; hints used: 0 of 3" in text


def test_unfinished_and_unknown_loops_say_so(db: Database) -> None:
    loop = new_loop(FakeClock())
    loop_id = create_loop(db, loop)
    with pytest.raises(ValueError, match="not finished yet"):
        load_loop_report(db, loop_id, "X")
    with pytest.raises(LoopNotFound, match="no interview loop '99'"):
        load_loop(db, "99")
    abandon_loop(db, loop_id)
    assert unfinished_loops(db) == []
    with pytest.raises(ValueError, match="not over yet"):
        finish_loop(db, loop_id, loop)


def test_a_loop_works_on_a_fresh_copy_and_never_touches_the_learners_own(
    quizapp_home: Path,
) -> None:
    exercise = load_catalogue().get("int8-affine-math")
    own = ensure_workspace(exercise)
    own.write_text("# my own work in progress\n")
    copy = loop_copy(exercise, "7")
    assert copy != own and copy.read_text() == exercise.starter.read_text()
    copy.write_text("# the interview's code\n")
    assert loop_copy(exercise, "7").read_text() == "# the interview's code\n"  # kept on resume
    assert own.read_text() == "# my own work in progress\n"
