"""Mock interviews in the TUI: whole mocks ending by time-out and by submit, leaving and
resuming, the per-question limit, the set-up form, and a snapshot of the report.

The screens take a fake monotonic clock, moved by hand, and call `refresh_clock()` (what the
4 Hz timer calls): no test waits for real time to pass.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import ContentSwitcher, Input, Static, TextArea
from unit.test_mock import FIXTURES, FakeClock

from quizapp.core.loader import LoadResult, load_decks
from quizapp.core.mock.draw import MockSetup
from quizapp.core.time_format import format_countdown
from quizapp.storage.db import Database
from quizapp.storage.mocks import load_mock, mock_history, unfinished_mocks
from quizapp.storage.reviews import reviews_total
from quizapp.tui.app import QuizApp
from quizapp.tui.screens.confirm import ConfirmDialog
from quizapp.tui.screens.mock.grade import MockGradeScreen
from quizapp.tui.screens.mock.report import MockReportScreen
from quizapp.tui.screens.mock.run import MockRunScreen
from quizapp.tui.screens.mock.setup import MockSetupScreen
from quizapp.tui.start import StartMock
from quizapp.tui.widgets.cards import NumberFields

FROZEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
SIZE = (120, 40)


@pytest.fixture
def library() -> LoadResult:
    result = load_decks([FIXTURES])
    assert result.ok
    return result


@pytest.fixture
def db(quizapp_home: Path) -> Database:
    return Database()


def mock_app(
    db: Database, library: LoadResult, clock: FakeClock, setup: MockSetup | None, **extra: object
) -> QuizApp:
    options: dict[str, object] = {"clock": clock, "now": lambda: FROZEN, **extra}
    if setup is not None:
        options.update(setup=setup, autostart=True)
    return QuizApp(start=StartMock(**options), database=db, library=library)


def answer_right(screen: MockRunScreen) -> dict[int, dict]:
    """The right response to every auto-graded question (for typing into the widgets)."""
    answers = {}
    for i, question in enumerate(screen.run.questions):
        if question.kind == "choice":
            answers[i] = {"choices": list(question.correct_choices)}
        elif question.fields:
            answers[i] = {f.name: f"{f.value:.8g}" for f in question.fields}
    return answers


async def type_fields(pilot, screen: MockRunScreen, values: dict[str, str]) -> None:
    question = screen.run.questions[screen.run.current]
    fields = screen.query_one(f"#answer-{screen.run.current}", NumberFields)
    for answer_field in question.fields:
        fields.input(answer_field.name).focus()
        await pilot.press(*values[answer_field.name])


async def test_a_mock_ends_by_itself_when_the_time_runs_out(
    db: Database, library: LoadResult
) -> None:
    clock = FakeClock()
    setup = MockSetup(minutes=1, questions=3, decks=("mock-math",), seed=4)
    app = mock_app(db, library, clock, setup)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockRunScreen)
        assert str(screen.query_one("#total-clock", Static).render()) == "1:00 left"
        right = answer_right(screen)
        # Answer the first question right, leave the other two blank.
        clock.advance(10)
        await type_fields(pilot, screen, right[0])
        await pilot.pause()
        assert screen.run.answered(0)
        assert load_mock(db, screen.mock_id).run.responses[0] is not None  # saved when made
        await pilot.press("pagedown")
        assert screen.run.current == 1
        clock.advance(30)
        screen.refresh_clock()
        assert str(screen.query_one("#total-clock", Static).render()) == "0:20 left"
        assert not screen.query_one("#total-clock").has_class("-low")
        clock.advance(10)
        screen.refresh_clock()  # the last fifth of the time (at most a minute) shows in red
        assert screen.query_one("#total-clock").has_class("-low")
        clock.advance(15)  # past the limit: the next tick ends the mock
        screen.refresh_clock()
        await pilot.pause()
        report_screen = app.screen
        assert isinstance(report_screen, MockReportScreen)
        mock_id = screen.mock_id
        stored = load_mock(db, mock_id)
        assert stored.status == "finished" and stored.run.ended_by == "time"
        assert stored.run.elapsed == pytest.approx(60)
        assert stored.run.time_spent[:2] == pytest.approx([10, 50])
        assert [stored.run.result(i)[0] for i in range(3)] == ["right", "blank", "blank"]
        assert stored.finished_at == FROZEN
        summary = str(report_screen.query_one("#report-summary", Static).render())
        assert summary.startswith("1 / 3 (33%)") and "ended when the time ran out" in summary
        assert "2 missed questions went back into your review queue" in summary
        assert reviews_total(db) == 2  # the misses, as Again
        await pilot.press("w")
        written = Path(app.db.path).parent / "reports" / f"mock-{mock_id}.md"
        assert written.read_text().startswith(f"# Mock interview {mock_id}: 1 / 3 (33%)")
        await pilot.press("escape")  # back to the set-up, which now shows the history
        assert isinstance(app.screen, MockSetupScreen)
        assert len(mock_history(db)) == 1


async def test_a_mock_submitted_early_is_self_graded_then_reported(
    db: Database, library: LoadResult
) -> None:
    clock = FakeClock()
    setup = MockSetup(minutes=10, questions=4, decks=("mock-basics",), seed=2)
    app = mock_app(db, library, clock, setup)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockRunScreen)
        kinds = [q.kind for q in screen.run.questions]
        assert sorted(kinds) == ["choice", "choice", "flashcard", "free"]
        for _ in range(4):
            question = screen.run.questions[screen.run.current]
            clock.advance(20)
            if question.kind == "choice":
                for index in question.correct_choices:
                    await pilot.press(str(index + 1))
            else:
                assert isinstance(app.focused, TextArea)
                await pilot.press(*"ranges")
            await pilot.press("pagedown")
        await pilot.pause()
        assert screen.run.blank_count == 0
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#choice-submit")
        await pilot.pause()
        grade = app.screen
        assert isinstance(grade, MockGradeScreen)
        for _ in range(2):
            question = grade.run.questions[grade.position]
            if question.kind == "flashcard":
                await pilot.press("3")  # right
            else:
                await pilot.press("a", "enter")  # the first of two key points covered
            await pilot.pause()
        report = app.screen
        assert isinstance(report, MockReportScreen)
        assert report.report is not None
        assert report.report.score == pytest.approx(3.5)
        assert report.report.ended_by == "submit"
        assert [r.verdict for r in report.report.results].count("partial") == 1
        summary = str(report.query_one("#report-summary", Static).render())
        # Half the key points is Hard in a drill; it is not a miss here either.
        assert "Nothing missed" not in summary
        assert "1 partly right went back into your review queue as Hard." in summary
        stored = load_mock(db, screen.mock_id)
        assert stored.status == "finished" and stored.run.time_spent == pytest.approx([20] * 4)


async def test_leaving_stops_the_clock_and_resume_offers_the_remaining_time(
    db: Database, library: LoadResult
) -> None:
    clock = FakeClock()
    setup = MockSetup(minutes=2, questions=3, decks=("mock-math",), seed=9)
    app = mock_app(db, library, clock, setup)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        run_screen = app.screen
        assert isinstance(run_screen, MockRunScreen)
        clock.advance(45)
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        clock.advance(5)  # the clock keeps running while the dialog is open
        await pilot.click("#choice-leave")
        await pilot.pause()
        setup_screen = app.screen
        assert isinstance(setup_screen, MockSetupScreen)
        notice = str(setup_screen.query_one("#resume-notice", Static).render())
        assert "left unfinished with 1:10 on the clock" in notice
        clock.advance(600)  # time away does not count
        await pilot.press("ctrl+r")
        await pilot.pause()
        resumed = app.screen
        assert isinstance(resumed, MockRunScreen)
        assert resumed.run.interruptions == 1
        assert str(resumed.query_one("#total-clock", Static).render()) == "1:10 left"
        await pilot.press("ctrl+s", "s")  # the dialog's shortcut for Submit
        await pilot.pause()
        assert isinstance(app.screen, MockReportScreen)
        assert "interrupted once" in str(app.screen.query_one("#report-summary").render())


async def test_the_leave_and_submit_dialogs_show_the_clock_still_running(
    db: Database, library: LoadResult
) -> None:
    clock = FakeClock()
    setup = MockSetup(minutes=2, questions=3, decks=("mock-math",), seed=9)
    app = mock_app(db, library, clock, setup)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        run_screen = app.screen
        assert isinstance(run_screen, MockRunScreen)
        clock.advance(45)
        for key in ("escape", "ctrl+s"):
            await pilot.press(key)
            dialog = app.screen
            assert isinstance(dialog, ConfirmDialog)
            before = str(dialog.query_one("#confirm-live", Static).render())
            clock.advance(5)  # the run keeps ticking behind the dialog
            run_screen.refresh_clock()
            dialog.refresh_live()
            after = str(dialog.query_one("#confirm-live", Static).render())
            assert after != before and after.startswith(
                f"{format_countdown(run_screen.run.remaining)} left on the clock"
            )
            message = str(dialog.query_one("#confirm-message", Static).render())
            assert ":" not in message.replace("`quizapp mock --resume`", "")  # no stale time
            await pilot.press("k")  # keep going
            await pilot.pause()
            assert app.screen is run_screen


async def test_starting_beside_an_unfinished_mock_offers_to_resume_it(
    db: Database, library: LoadResult
) -> None:
    clock = FakeClock()
    app = mock_app(db, library, clock, MockSetup(minutes=2, questions=3, seed=9))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = app.screen
        assert isinstance(first, MockRunScreen)
        clock.advance(30)
        await pilot.press("escape", "l")  # leave: it stays unfinished
        await pilot.pause()
        setup_screen = app.screen
        assert isinstance(setup_screen, MockSetupScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert str(dialog.query_one("#confirm-title", Static).render()) == (
            f"Mock {first.mock_id} is unfinished"
        )
        assert "left unfinished with 1:30 on the clock" in str(
            dialog.query_one("#confirm-message", Static).render()
        )
        await pilot.press("escape")  # neither: nothing starts
        await pilot.pause()
        assert app.screen is setup_screen and len(unfinished_mocks(db)) == 1
        await pilot.press("ctrl+s", "r")  # resume it
        await pilot.pause()
        resumed = app.screen
        assert isinstance(resumed, MockRunScreen) and resumed.mock_id == first.mock_id
        await pilot.press("escape", "l", "ctrl+s", "n")  # leave again, then start a new one
        await pilot.pause()
        fresh = app.screen
        assert isinstance(fresh, MockRunScreen) and fresh.mock_id != first.mock_id
        assert [m.id for m in unfinished_mocks(db)] != []  # the first one is kept


async def test_quizapp_mock_resume_opens_the_mock_where_it_stopped(
    db: Database, library: LoadResult
) -> None:
    from quizapp.core.mock.draw import draw_questions
    from quizapp.core.mock.run import MockRun
    from quizapp.storage.mocks import create_mock, save_run

    clock = FakeClock()
    setup = MockSetup(minutes=2, questions=3, decks=("mock-math",), seed=9)
    run = MockRun(draw_questions(library.decks, setup), setup.time_limit_s, None, clock)
    clock.advance(50)
    run.suspend()
    mock_id = create_mock(db, setup, run, started_at=FROZEN)
    save_run(db, mock_id, setup, run)
    app = mock_app(db, library, clock, None, resume=str(mock_id))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockRunScreen) and screen.mock_id == mock_id
        assert str(screen.query_one("#total-clock", Static).render()) == "1:10 left"


def finished_mocks(db: Database, library: LoadResult, count: int) -> None:
    """`count` finished mocks, a day apart, with scores of 0 to 100%."""
    from datetime import timedelta

    from quizapp.core.mock.draw import draw_questions
    from quizapp.core.mock.run import MockRun
    from quizapp.storage.mocks import create_mock, finish_mock

    for k in range(count):
        clock = FakeClock()
        setup = MockSetup(minutes=5, questions=4, decks=("mock-basics",), seed=k)
        run = MockRun(draw_questions(library.decks, setup), setup.time_limit_s, None, clock)
        for i, question in enumerate(run.questions):
            if question.kind == "choice" and i < k:
                run.answer({"choices": list(question.correct_choices)}, i)
        clock.advance(35 + k)
        run.submit()
        started = FROZEN + timedelta(days=k)
        finish_mock(db, create_mock(db, setup, run, started_at=started), setup, run, started)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_past_mocks_opened_from_home_show_every_column_whole(
    db: Database, library: LoadResult, size: tuple[int, int]
) -> None:
    from textual.widgets import DataTable

    finished_mocks(db, library, 2)
    app = QuizApp(database=db, library=library)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockSetupScreen)
        table = screen.query_one("#history", DataTable)
        # Drawn right after a refresh, before the table's own idle-time measuring: what a
        # real terminal showed when the screen refreshed twice on opening.
        screen.refresh_state()
        lines = [table.render_line(y).text.rstrip() for y in range(3)]
        assert lines[0].split() == ["#", "Date", "Score", "Time"]
        for line, entry in zip(lines[1:], reversed(mock_history(db)), strict=True):
            percent = f"{100 * entry['score'] / entry['max_score']:.0f}%"
            day = entry["started_at"][:10]
            assert line.split() == [str(entry["id"]), day, percent, f"0:{entry['duration_s']:.0f}"]
        assert lines[1].split()[1] == "2026-05-02"
        assert table.virtual_size.width <= table.size.width  # no sideways scrolling


async def test_the_score_trend_has_labelled_axes(db: Database, library: LoadResult) -> None:
    from quizapp.tui.widgets.score_trend import ScoreTrend

    finished_mocks(db, library, 3)
    app = mock_app(db, library, FakeClock(), None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        trend = app.screen.query_one("#trend", ScoreTrend)
        lines = trend.render().plain.splitlines()
        assert lines[0].startswith("100% ┤") and lines[1].startswith(" 50% ┤")
        assert lines[3].startswith("  0% └─")
        assert lines[4].split() == ["#1", "#3"]  # oldest on the left, newest on the right
        trend.show([("1", 0.0), ("2", 25.0), ("3", 50.0)])
        bars = [line[7:].ljust(5) for line in trend.render().plain.splitlines()[:3]]
        assert [column for column in zip(*bars, strict=True) if "".join(column).strip()] == [
            (" ", " ", "▁"),  # 0%: a sliver, still a mock taken
            (" ", " ", "▆"),  # 25%
            (" ", "▄", "█"),  # 50%: up to the middle of the row labelled 50%
        ]


def test_setup_with_history_snapshot(snap_compare, db: Database, library: LoadResult) -> None:
    finished_mocks(db, library, 4)
    assert snap_compare(mock_app(db, library, FakeClock(), None), terminal_size=(80, 24))


async def test_per_question_limit_moves_on_and_shows_the_question_clock(
    db: Database, library: LoadResult
) -> None:
    clock = FakeClock()
    setup = MockSetup(minutes=5, questions=3, decks=("mock-math",), per_question_s=30, seed=1)
    app = mock_app(db, library, clock, setup)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockRunScreen)
        question_clock = screen.query_one("#question-clock", Static)
        assert str(question_clock.render()) == "this question 0:30"
        clock.advance(31)
        screen.refresh_clock()
        await pilot.pause()
        assert screen.run.current == 1
        assert screen.query_one("#question-panels", ContentSwitcher).current == "q-1"
        assert str(question_clock.render()) == "this question 0:29"
        await pilot.press("pageup")  # back to the expired question: allowed, no push
        clock.advance(4)
        screen.refresh_clock()
        assert screen.run.current == 0
        assert str(question_clock.render()) == "this question: over by 0:04"
        assert question_clock.has_class("-over")


async def test_an_answer_given_as_the_question_time_runs_out_counts_and_the_view_follows(
    db: Database, library: LoadResult
) -> None:
    clock = FakeClock()
    setup = MockSetup(minutes=5, questions=3, decks=("mock-basics",), per_question_s=20, seed=4)
    app = mock_app(db, library, clock, setup)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockRunScreen)
        assert screen.run.questions[0].kind == "choice"
        screen.ticker.pause()  # so that no tick notices the limit before the key press
        clock.advance(21)  # the limit ran out, and no timer tick has noticed yet
        await pilot.press("2")  # the key still answers question 1, the one on screen
        await pilot.pause()
        assert screen.run.responses[0] == {"choices": [1]}
        assert screen.run.current == 1
        assert screen.query_one("#question-panels", ContentSwitcher).current == "q-1"
        assert load_mock(db, screen.mock_id).run.responses[0] == {"choices": [1]}


async def test_setup_form_reports_bad_input_and_starts_from_the_form(
    db: Database, library: LoadResult
) -> None:
    clock = FakeClock()
    app = mock_app(db, library, clock, None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockSetupScreen)
        assert "No finished mocks yet" in str(screen.query_one("#trend-caption").render())
        screen.query_one("#questions", Input).value = "50"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(screen.query_one("#setup-error", Static).render())
        assert "only 7 questions match this set-up, 50 were asked for" in error
        screen.query_one("#questions", Input).value = "2"
        screen.query_one("#minutes", Input).value = "0.5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        run_screen = app.screen
        assert isinstance(run_screen, MockRunScreen)
        assert run_screen.run.time_limit_s == 30 and len(run_screen.run.questions) == 2
        await pilot.press("ctrl+q")


def finished_mock_report(db: Database, library: LoadResult) -> QuizApp:
    """A finished mock with fixed answers and times, opened on its report."""
    from quizapp.core.mock.draw import draw_questions
    from quizapp.core.mock.run import MockRun
    from quizapp.storage.mocks import create_mock, finish_mock

    clock = FakeClock()
    setup = MockSetup(minutes=5, questions=5, seed=3)
    questions = draw_questions(library.decks, setup)
    run = MockRun(questions, setup.time_limit_s, None, clock)
    for i, question in enumerate(run.questions):
        clock.advance(10 + 7 * i)
        run.go(i)
        if question.kind == "choice":
            run.answer({"choices": list(question.correct_choices)})
        elif question.fields and i % 2 == 0:
            run.answer({"fields": {f.name: f"{f.value:.8g}" for f in question.fields}})
        elif question.self_rated:
            run.answer({"text": "Ranges are observed on calibration data."})
    clock.advance(5)
    run.submit()
    for position in run.pending_judgments():
        judgment = (
            {"mark": "partly"} if run.questions[position].kind == "flashcard" else {"covered": [0]}
        )
        run.judge(position, judgment)
    mock_id = create_mock(db, setup, run, started_at=FROZEN)
    finish_mock(db, mock_id, setup, run, finished_at=FROZEN)
    return mock_app(db, library, clock, None, report=mock_id)


def test_report_snapshot(snap_compare, db: Database, library: LoadResult) -> None:
    assert snap_compare(finished_mock_report(db, library), terminal_size=SIZE)


async def test_grading_can_wait_and_is_offered_again(db: Database, library: LoadResult) -> None:
    clock = FakeClock()
    setup = MockSetup(minutes=1, questions=3, decks=("mock-basics",), seed=4)
    app = mock_app(db, library, clock, setup)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MockRunScreen)
        free = [i for i, q in enumerate(screen.run.questions) if q.self_rated]
        for position in free:
            screen.query_one(f"#answer-{position}", TextArea).text = "an answer"
        await pilot.pause()
        clock.advance(61)
        screen.refresh_clock()
        await pilot.pause()
        assert isinstance(app.screen, MockGradeScreen)
        await pilot.press("escape")  # grade later
        await pilot.pause()
        setup_screen = app.screen
        assert isinstance(setup_screen, MockSetupScreen)
        notice = str(setup_screen.query_one("#resume-notice", Static).render())
        waiting = "is" if len(free) == 1 else "are"
        assert f"{len(free)} of your answers {waiting} waiting to be judged" in notice
        assert load_mock(db, screen.mock_id).status == "grading"
        await pilot.press("ctrl+r")
        await pilot.pause()
        grade = app.screen
        assert isinstance(grade, MockGradeScreen)
        while isinstance(app.screen, MockGradeScreen):
            kind = grade.run.questions[grade.position].kind
            await pilot.press("3" if kind == "flashcard" else "enter")
            await pilot.pause()
        assert isinstance(app.screen, MockReportScreen)
        assert load_mock(db, screen.mock_id).status == "finished"


def test_report_snapshot_at_80x24(snap_compare, db: Database, library: LoadResult) -> None:
    assert snap_compare(finished_mock_report(db, library), terminal_size=(80, 24))


def test_run_snapshot_at_80x24(snap_compare, db: Database, library: LoadResult) -> None:
    app = mock_app(db, library, FakeClock(), MockSetup(minutes=5, questions=5, seed=3))

    async def steady_cursor(pilot) -> None:
        # The focused field's cursor blinks every 0.5 s: the picture must not depend on when
        # it is taken (a loaded machine took it in the other phase).
        await pilot.pause()
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=steady_cursor)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_small_reports_show_every_topic_score_whole(
    db: Database, library: LoadResult, size: tuple[int, int]
) -> None:
    from tui.screen_text import screen_lines

    app = finished_mock_report(db, library)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MockReportScreen)
        text = "\n".join(screen_lines(app))
        from quizapp.core.mock.report import format_points

        for topic in app.screen.report.topics:
            score = f"{format_points(topic.score)} / {format_points(topic.max_score)}"
            assert f"{score} ({topic.percent:.0f}%)" in text, text


async def test_home_says_when_a_mock_is_unfinished(db: Database, library: LoadResult) -> None:
    from quizapp.core.mock.draw import draw_questions
    from quizapp.core.mock.run import MockRun
    from quizapp.storage.mocks import create_mock

    setup = MockSetup(minutes=5, questions=3, seed=3)
    run = MockRun(draw_questions(library.decks, setup), setup.time_limit_s, None, FakeClock())
    mock_id = create_mock(db, setup, run, started_at=FROZEN)
    app = QuizApp(database=db, library=library)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = str(app.screen.query_one("#interview", Static).content)
        assert f"Mock {mock_id} is unfinished: m, then ctrl+r resumes it" in shown
