"""The interview loop in the TUI: both rounds against a fake clock (time-out in each, submit
early), a kill and a resume with the time left, the learner's own workspace untouched, and a
snapshot of the report.

The screens take a fake monotonic clock moved by hand; the coding round's grades go through
the exercise screen's real grade panel, with the runner replaced by a quick fake that passes a
file containing "SOLVED" (what is tested here is the loop's flow; the grader has its own
tests, and one test below grades for real).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Static
from unit.test_mock import FIXTURES, FakeClock

from quizapp.core.interview_loop import LoopPlan
from quizapp.core.loader import LoadResult, load_decks
from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import CheckResult, GradeResult
from quizapp.storage.db import Database
from quizapp.storage.interview_loops import load_loop, loops_for_stats
from quizapp.storage.reviews import reviews_total
from quizapp.storage.workspace import workspace_file
from quizapp.tui.app import QuizApp
from quizapp.tui.screens.confirm import ConfirmDialog
from quizapp.tui.screens.interview_loop.coding import LoopCodingScreen
from quizapp.tui.screens.interview_loop.concepts import LoopConceptScreen
from quizapp.tui.screens.interview_loop.intermission import LoopBreakScreen
from quizapp.tui.screens.interview_loop.report import LoopReportScreen
from quizapp.tui.start import StartLoop

SIZE = (120, 40)
FROZEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
EXERCISE = "int8-affine-math"  # needs no baseline


@pytest.fixture
def library() -> LoadResult:
    result = load_decks([FIXTURES])
    assert result.ok
    return result


@pytest.fixture
def db(quizapp_home: Path) -> Database:
    return Database()


@pytest.fixture
def grades(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files graded, in order; a file passes when it contains SOLVED."""
    graded: list[str] = []

    def fake_run_check(exercise_id: str, file: str, **kwargs: object) -> GradeResult:
        text = Path(file).read_text()
        graded.append(text)
        ok = "SOLVED" in text
        check = CheckResult("round trip", "pass" if ok else "fail", measured=1.0 if ok else 0.0)
        return GradeResult(exercise_id, "pass" if ok else "fail", float(ok), 1.0, 0.1, "", (check,))

    monkeypatch.setattr("quizapp.tui.screens.exercises.grade_panel.run_check", fake_run_check)
    return graded


def loop_app(db: Database, library: LoadResult, clock: FakeClock, **options: object) -> QuizApp:
    return QuizApp(start=StartLoop(clock=clock, **options), database=db, library=library)  # type: ignore[arg-type]


PLAN = LoopPlan(concepts=2, concept_minutes=1, coding=EXERCISE, coding_minutes=2, seed=5)


async def wait_for(pilot, predicate, rounds: int = 200) -> None:  # type: ignore[no-untyped-def]
    for _ in range(rounds):
        if predicate():
            await pilot.pause()  # let the screen it shows mount
            return
        await pilot.pause(0.02)
    raise AssertionError("the screen never got there")


async def let_the_concept_round_time_out(app: QuizApp, pilot, clock: FakeClock) -> str:  # type: ignore[no-untyped-def]
    """Open the loop, let its one-minute concept round run out; returns the loop's id."""
    await pilot.pause()
    concepts = app.screen
    assert isinstance(concepts, LoopConceptScreen)
    clock.advance(61)
    concepts.refresh_clock()
    await pilot.pause()
    assert isinstance(app.screen, LoopBreakScreen)
    return concepts.session.loop_id


async def test_a_full_loop_times_out_in_both_rounds_and_reports_once(
    db: Database, library: LoadResult, grades: list[str]
) -> None:
    clock = FakeClock()
    app = loop_app(db, library, clock, plan=PLAN, autostart=True)
    own = workspace_file(load_catalogue().get(EXERCISE))
    async with app.run_test(size=SIZE) as pilot:
        loop_id = await let_the_concept_round_time_out(app, pilot, clock)
        clock.advance(300)  # reading the rules is not the round's time
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, LoopCodingScreen)
        assert coding.path != own and coding.path.read_text() == coding.exercise.starter.read_text()
        assert coding.coding_round.remaining_s == 120
        await pilot.press("ctrl+t")  # a hint, counted
        await pilot.press("ctrl+r")  # a grade of the starter, counted
        await wait_for(pilot, lambda: not coding.coding_round.in_flight())
        coding.editor.load_text("# SOLVED, but never saved\n")
        clock.advance(121)
        coding._tick_round()  # the time runs out: the saved code (the starter) is final
        await wait_for(pilot, lambda: isinstance(app.screen, LoopReportScreen))
        report = app.screen
        summary = str(report.query_one("#report-summary", Static).render())
        assert "Coding not passed (1 grade, hints 1 of" in summary
        assert "2:00 of 2:00" in summary
        stored = load_loop(db, loop_id)
        assert stored.status == "done" and stored.loop.coding.ended_by == "time"
        assert stored.loop.concepts.ended_by == "time"
        assert len(grades) == 1  # the final answer was the code already graded
        assert reviews_total(db) == 2  # both blank concept answers went back as Again
        assert [row["coding_passed"] for row in loops_for_stats(db)] == [False]
    assert not own.exists()  # the learner's own copy was never made or touched


async def test_submitting_early_grades_the_last_saved_code_as_final(
    db: Database, library: LoadResult, grades: list[str]
) -> None:
    clock = FakeClock()
    app = loop_app(db, library, clock, plan=PLAN, autostart=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")  # submit the concept round
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, LoopBreakScreen)
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, LoopCodingScreen)
        clock.advance(30)
        coding.editor.load_text("# SOLVED\n")
        await pilot.press("ctrl+s")  # saved, not graded
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, LoopReportScreen))
        summary = str(app.screen.query_one("#report-summary", Static).render())
        assert "Coding passed (0 grades" in summary and "0:30 of 2:00" in summary
    assert grades == ["# SOLVED\n"]  # one grade: the final answer's


async def test_a_loop_killed_in_the_coding_round_resumes_with_its_time(
    db: Database, library: LoadResult, grades: list[str]
) -> None:
    clock = FakeClock()
    app = loop_app(db, library, clock, plan=PLAN, autostart=True)
    async with app.run_test(size=SIZE) as pilot:
        loop_id = await let_the_concept_round_time_out(app, pilot, clock)
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, LoopCodingScreen)
        coding.editor.load_text("# work in progress\n")
        await pilot.press("ctrl+s")
        clock.advance(45)
        coding._tick_round()  # the periodic save: what a kill keeps
        saved = load_loop(db, loop_id).loop.coding.elapsed_s
        assert saved == pytest.approx(45)
    db = Database()  # the first app closed its connection
    # "Killed": a new app, a new process clock, hours later.
    later = FakeClock(start=99_999.0)
    app = loop_app(db, library, later, resume=loop_id)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, LoopCodingScreen)
        assert coding.coding_round.remaining_s == pytest.approx(75)
        assert coding.coding_round.interruptions == 1
        assert coding.editor.text == "# work in progress\n"  # the loop's own copy, kept
        bar = str(coding.query_one("#exercise-bar", Static).render())
        assert "1:15 left" in bar


async def test_home_opens_the_loop_and_says_what_it_is(db: Database, library: LoadResult) -> None:
    app = QuizApp(database=db, library=library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("l")
        await pilot.pause()
        text = str(app.screen.query_one("#loop-entry-text", Static).render())
        assert "8 questions in 15 minutes" in text and "30 minutes on an exercise" in text


def finished_loop(db: Database, library: LoadResult) -> str:
    """A loop with fixed answers, times and grades, finished at FROZEN."""
    from quizapp.core.interview_loop import InterviewLoop
    from quizapp.core.mock.draw import MockSetup, draw_questions
    from quizapp.core.mock.run import MockRun
    from quizapp.storage.interview_loops import create_loop, finish_loop

    clock = FakeClock()
    plan = LoopPlan(concepts=4, concept_minutes=10, coding=EXERCISE, coding_minutes=30, seed=3)
    questions = draw_questions(library.decks, MockSetup(questions=4, seed=3))
    run = MockRun(questions, plan.concept_limit_s, None, clock)
    for i, question in enumerate(run.questions):
        clock.advance(20 + 15 * i)
        run.go(i)
        if question.kind == "choice":
            run.answer({"choices": list(question.correct_choices)})
        elif question.self_rated:
            run.answer({"text": "Ranges are observed on calibration data."})
    run.submit()
    loop = InterviewLoop.new(plan, run, EXERCISE, hint_count=3, clock=clock)
    loop.coding.start()
    clock.advance(400)
    loop.coding.show_hint()
    first = loop.coding.begin_grade("a")
    clock.advance(20)
    loop.coding.end_grade(
        first,
        {"passed": False, "checks": [{"name": "qparams", "passed": False, "value": 0.5}]},
    )
    clock.advance(600)
    second = loop.coding.begin_grade("b")
    clock.advance(20)
    loop.coding.end_grade(
        second,
        {"passed": True, "checks": [{"name": "qparams", "passed": True, "value": 1.0}]},
    )
    loop.coding.submit()
    assert not loop.coding.final_grade_needed("b")
    while loop.concepts.pending_judgments():
        position = loop.concepts.pending_judgments()[0]
        kind = loop.concepts.questions[position].kind
        loop.concepts.judge(
            position, {"mark": "partly"} if kind == "flashcard" else {"covered": [0]}
        )
    if loop.concepts.status == "grading":
        loop.concepts.complete()
    loop_id = create_loop(db, loop, started_at=FROZEN)
    finish_loop(db, loop_id, loop, finished_at=FROZEN)
    return loop_id


def test_report_snapshot_at_80x24(snap_compare, db: Database, library: LoadResult) -> None:
    loop_id = finished_loop(db, library)
    app = QuizApp(database=db, library=library)

    async def open_report(pilot) -> None:  # type: ignore[no-untyped-def]
        titles = {deck.deck: deck.title for deck in library.decks}
        app.push_screen(LoopReportScreen(loop_id, "INT8 affine math", titles))
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_report)


@pytest.mark.grading
@pytest.mark.slow
async def test_the_coding_round_grades_for_real_and_the_solution_passes(
    db: Database, library: LoadResult
) -> None:
    """The real grader (child processes) behind the round: the reference solution, saved
    into the loop's copy and submitted, is the passing final answer."""
    clock = FakeClock()
    app = loop_app(db, library, clock, plan=PLAN, autostart=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s", "s")  # submit the concept round at once
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, LoopCodingScreen)
        coding.editor.load_text(coding.exercise.solution.read_text())
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: not coding.coding_round.in_flight(), rounds=3000)
        assert coding.coding_round.grades[0].passed
        await pilot.press("f9", "s")
        await wait_for(pilot, lambda: isinstance(app.screen, LoopReportScreen), rounds=3000)
        summary = str(app.screen.query_one("#report-summary", Static).render())
        assert "Coding passed (1 grade," in summary


def test_the_stats_tab_lists_finished_loops_with_both_scores(
    db: Database, library: LoadResult
) -> None:
    import io

    from rich.console import Console

    from quizapp.storage.stats import collect_stats
    from quizapp.tui.screens.stats.practice import LoopTable

    loop_id = finished_loop(db, library)
    report = collect_stats(db, library, FROZEN, UTC, exercises=[])
    console = Console(width=100, file=io.StringIO(), color_system=None)
    console.print(LoopTable().content_for(report))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Interview loops: 1 loop · concepts last 50%, best 50% · coding passed 1 of 1" in text
    assert f"{loop_id}     2026-05-01       50%  passed int8-affine-math" in text


async def test_the_mock_set_up_offers_its_mock_as_a_full_loop(
    db: Database, library: LoadResult
) -> None:
    from textual.widgets import Input

    from quizapp.tui.screens.interview_loop.entry import LoopEntryScreen
    from quizapp.tui.screens.mock.setup import MockSetupScreen
    from quizapp.tui.start import StartMock

    app = QuizApp(start=StartMock(clock=FakeClock()), database=db, library=library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MockSetupScreen)
        app.screen.query_one("#questions", Input).value = "3"
        app.screen.query_one("#minutes", Input).value = "6"
        await pilot.press("f8")
        await pilot.pause()
        entry = app.screen
        assert isinstance(entry, LoopEntryScreen)
        assert (entry.plan.concepts, entry.plan.concept_minutes) == (3, 6)
        text = str(entry.query_one("#loop-entry-text", Static).render())
        assert "3 questions in 6 minutes" in text
