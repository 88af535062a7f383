"""The exercise list and the exercise screen, on the tiny fixture exercises (plain-Python
checks: a grade costs only the worker's start-up), graded live through the real runner."""

from __future__ import annotations

import contextlib
import io
import os
import time
from pathlib import Path

import pytest
from rich.console import Console
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import DataTable, ProgressBar, Static
from tui.drill_support import fixture_library
from tui.screen_text import screen_lines, shown_footer_keys, wait_until, whole_on_screen

from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import CheckResult, Env, GradeResult
from quizapp.storage.db import Database
from quizapp.storage.exercises import record_result, results, status
from quizapp.storage.workspace import backups_dir, workspace_file
from quizapp.tui.app import QuizApp
from quizapp.tui.screens.confirm import ConfirmDialog
from quizapp.tui.screens.exercises.exercise import ExerciseScreen
from quizapp.tui.screens.exercises.grade_panel import GradeProgress
from quizapp.tui.screens.exercises.listing import ExerciseListScreen
from quizapp.tui.screens.exercises.solution import SolutionScreen
from quizapp.tui.start import StartExercises
from quizapp.tui.widgets.grade_report import CheckTable

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "exercises"
SIZE = (120, 40)
EXERCISE = "tiny-quantize"
SOLVED = '''"""tiny-quantize: map a float to its uint8 code."""


def quantize_value(x: float, scale: float, zero_point: int) -> int:
    return max(0, min(255, round(x / scale) + zero_point))
'''
SLOW = "import time\n\ntime.sleep(60)\n"  # still loading when the next save comes


@pytest.fixture(autouse=True)
def quick_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ExerciseScreen, "POLL_INTERVAL_S", 0.05)
    monkeypatch.setattr(ExerciseScreen, "DEBOUNCE_S", 0.1)
    monkeypatch.setattr(ExerciseScreen, "TICK_S", 0.02)


def exercise_app(exercise: str | None = EXERCISE) -> QuizApp:
    options: dict[str, object] = {"root": FIXTURES}
    if exercise:
        options["exercise"] = exercise
    return QuizApp(start=StartExercises(**options), library=fixture_library())


def catalogue_exercise(exercise_id: str = EXERCISE):
    return load_catalogue(FIXTURES).get(exercise_id)


def rendered(widget: Static) -> str:
    console = Console(width=400, file=io.StringIO(), color_system=None)
    console.print(widget.render())
    return console.file.getvalue()  # type: ignore[attr-defined]


async def wait_for_grading(pilot: Pilot, screen: ExerciseScreen) -> None:
    await wait_until(pilot, lambda: not screen.grade_panel.regrader.running)
    await pilot.pause()


def stored(exercise_id: str = EXERCISE) -> list[dict]:
    with Database() as db:
        return results(db, exercise_id)


async def test_list_shows_status_and_continues_at_next_unsolved() -> None:
    exercise = catalogue_exercise()
    with Database() as db:
        record_result(
            db,
            {
                "exercise": EXERCISE,
                "status": "pass",
                "score": 4,
                "max_score": 4,
                "duration_s": 1.0,
                "message": "",
                "checks": [],
                "env": {},
            },
        )
    dequantize = catalogue_exercise("tiny-dequantize")
    app = exercise_app(exercise=None)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseListScreen)
        table = screen.query_one("#exercises", DataTable)
        assert [str(c) for c in table.get_row(EXERCISE)[4:6]] == ["passed", "4/4"]
        assert str(table.get_row("tiny-dequantize")[4]) == "new"
        workspace_file(dequantize).parent.mkdir(parents=True)
        workspace_file(dequantize).write_text("# my start\n")
        screen.refresh_list()
        assert str(table.get_row("tiny-dequantize")[4]) == "started"
        workspace_file(dequantize).unlink()
        screen.refresh_list()
        assert str(workspace_file(exercise)) in rendered(
            screen.query_one("#exercise-detail", Static)
        )
        await pilot.press("c")  # the first one is passed: continue at the second
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        assert app.screen.exercise.id == "tiny-dequantize"
        await pilot.press("escape")  # back, even from inside the editor
        await pilot.pause()
        assert app.screen is screen
        assert str(table.get_row("tiny-dequantize")[4]) == "new"  # opened, not changed
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExerciseListScreen)


@pytest.mark.grading  # grades through the real runner
async def test_edit_in_the_editor_run_and_pass() -> None:
    exercise = catalogue_exercise()
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        assert screen.editor.text == exercise.starter.read_text()
        assert screen.editor.has_focus
        # Type the fix: the last line, `    return 0`, becomes the formula.
        screen.editor.cursor_location = (5, 0)
        await pilot.press("shift+end", "delete")
        await pilot.press(*"    return max(0, min(255, round(x / scale) + zero_point))")
        assert screen.dirty and "unsaved" in str(screen.editor.border_title)
        await pilot.press("ctrl+r")  # saves, then grades
        await pilot.pause()
        assert not screen.dirty
        assert "round(x / scale)" in workspace_file(exercise).read_text()
        assert screen.grade_panel.grading
        await wait_for_grading(pilot, screen)
        assert (
            screen.grade_panel.result is not None and screen.grade_panel.result.status == "pass"
        ), screen.grade_panel.result
        assert [(r.name, r.status) for r in screen.grade_panel.rows] == [
            ("returns an int", "pass"),
            ("rounds half to even", "pass"),
            ("clamps to [0, 255]", "pass"),
            ("no print left", "pass"),
        ]
        table = rendered(screen.query_one("#checks", CheckTable))
        assert "rounds half to even" in table and "4/4" in table
        assert "PASS" in rendered(screen.query_one("#grade-status", Static))
        assert [r["status"] for r in stored()] == ["pass"]
        assert screen.check_action("next", ()) is True  # ctrl+n: the next exercise
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.exercise.id == "tiny-dequantize"  # type: ignore[attr-defined]


@pytest.mark.grading  # grades through the real runner
async def test_cancel_a_running_grade() -> None:
    exercise = catalogue_exercise()
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.grade_panel.grading and screen.check_action("back", ()) is False
        await pilot.press("escape")  # cancel (not back: a grade is running)
        await wait_for_grading(pilot, screen)
        assert isinstance(app.screen, ExerciseScreen)
        assert "cancelled" in rendered(screen.query_one("#grade-status", Static))
        assert stored() == []  # a cancelled grade is not a grade
        assert workspace_file(exercise).read_text() == exercise.starter.read_text()


@pytest.mark.grading  # grades through the real runner
async def test_watch_regrades_on_save_and_a_new_save_cancels_the_running_grade() -> None:
    exercise = catalogue_exercise()
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        path = workspace_file(exercise)
        path.write_text(SLOW)  # an outside editor saves; watch mode is off: only reloaded
        await wait_until(pilot, lambda: screen.editor.text == SLOW, timeout=10)
        assert screen.grade_panel.regrader.started == 0 and not screen.dirty
        await pilot.press("ctrl+l")  # watch on: grades at once
        await pilot.pause()
        assert screen.watching and screen.grade_panel.regrader.started == 1
        path.write_text(SLOW + "# saved again\n")  # a save while grading: cancel, re-grade
        await wait_until(pilot, lambda: screen.grade_panel.regrader.started == 2, timeout=10)
        path.write_text(SOLVED)  # and again, with the fix
        await wait_until(pilot, lambda: screen.grade_panel.regrader.started == 3, timeout=10)
        await wait_for_grading(pilot, screen)
        assert screen.editor.text == SOLVED
        assert screen.grade_panel.result is not None and screen.grade_panel.result.status == "pass"
        assert [r["status"] for r in stored()] == ["pass"]  # the cancelled two are not kept
        # A save from the built-in editor re-grades too.
        screen.editor.cursor_location = (0, 0)
        await pilot.press(*"# mine", "enter", "ctrl+s")
        await wait_until(pilot, lambda: screen.grade_panel.regrader.started == 4, timeout=10)
        assert path.read_text().startswith("# mine\n")
        await pilot.press("ctrl+l", "escape")  # watch off; cancel that grade
        await wait_for_grading(pilot, screen)
        assert not screen.watching and len(stored()) == 1


async def test_reset_keeps_a_backup() -> None:
    exercise = catalogue_exercise()
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        screen.editor.cursor_location = (0, 0)
        await pilot.press(*"# my attempt", "enter")  # unsaved: the reset saves it into the backup
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert str(backups_dir(exercise)) in rendered(
            app.screen.query_one("#confirm-message", Static)
        )
        await pilot.press("n")  # keep my code
        await pilot.pause()
        assert app.screen is screen and screen.editor.text.startswith("# my attempt")
        assert not backups_dir(exercise).exists()
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is screen
        assert screen.editor.text == exercise.starter.read_text()
        assert workspace_file(exercise).read_text() == exercise.starter.read_text()
        backups = list(backups_dir(exercise).iterdir())
        assert len(backups) == 1 and backups[0].read_text().startswith("# my attempt\n")
        assert any(str(backups[0]) in n.message for n in app._notifications)


async def test_hints_are_tiered_counted_and_kept() -> None:
    exercise = catalogue_exercise()
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        await pilot.press("ctrl+t", "ctrl+t")
        await pilot.pause()
        shown = [rendered(h) for h in screen.query(".hint").results(Static)]
        assert [s.split(":")[0] for s in shown] == ["Hint 1 of 3", "Hint 2 of 3"]
        assert exercise.hints[1][:30] in shown[1]
        with Database() as db:
            assert status(db, EXERCISE).hints_shown == 2
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # open it again: the hints read so far are still there
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        assert len(screen.query(".hint")) == 2
        await pilot.press("ctrl+t", "ctrl+t")  # the third, then no more
        await pilot.pause()
        with Database() as db:
            assert status(db, EXERCISE).hints_shown == 3


async def test_command_palette_offers_the_screens_actions() -> None:
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"task")
        commands = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: commands.option_count > 0, 10)
        assert "task" in str(commands.get_option_at_index(0).prompt).lower()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.screen is screen
        assert not screen.query_one("#task-pane").display  # "Show or hide the task"


async def test_solution_is_a_diff_shown_after_confirmation() -> None:
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # not passed yet: asks first
        await pilot.press("escape")
        await pilot.pause()
        with Database() as db:
            assert not status(db, EXERCISE).solution_viewed
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, SolutionScreen)
        diff = app.screen.diff
        assert "-    return 0" in diff and "+    q = round(x / scale) + zero_point" in diff
        with Database() as db:
            assert status(db, EXERCISE).solution_viewed
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("f3")  # viewed once: no more question
        await pilot.pause()
        assert isinstance(app.screen, SolutionScreen)


async def test_external_editor_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    exercise = catalogue_exercise()
    monkeypatch.setenv("EDITOR", "sed -i s/return\\ 0/return\\ 255/")
    monkeypatch.delenv("VISUAL", raising=False)
    # run_test has no terminal to hand over: suspending is the one thing left out.
    monkeypatch.setattr(QuizApp, "suspend", lambda self: contextlib.nullcontext())
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        screen.editor.cursor_location = (0, 0)
        await pilot.press(*"# before", "enter")  # unsaved: saved before the editor runs
        await pilot.press("ctrl+o")
        await pilot.pause()
        on_disk = workspace_file(exercise).read_text()
        assert on_disk.startswith("# before\n") and "return 255" in on_disk
        assert screen.editor.text == on_disk and not screen.dirty


def grading_children() -> list[int]:
    """This process's grading children still alive (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"quizapp.grading." in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.grading  # grades through the real runner
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
async def test_quit_while_grading_saves_the_edit_and_stops_the_child() -> None:
    exercise = catalogue_exercise()
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: bool(grading_children()), timeout=20)
        screen.editor.cursor_location = (0, 0)
        await pilot.press(*"# keep me", "enter")  # typed while it grades: the UI responds
        assert screen.editor.text.startswith("# keep me\n")
        await pilot.press("ctrl+q")
    assert workspace_file(exercise).read_text().startswith("# keep me\n")
    deadline = time.monotonic() + 10
    while grading_children():
        assert time.monotonic() < deadline, "the grading child outlived the app"
        time.sleep(0.05)


async def test_first_run_training_shows_progress() -> None:
    """The runner's progress events (baseline training), as the grading thread posts them."""
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        screen.grade_panel.grading = True
        screen.query_one("#grade-progress").display = True
        note = "Training the baseline ResNet-18 on digits (first run only)"
        screen.grade_panel.post_message(GradeProgress(screen.grade_panel.run_id, None, None, note))
        for step in range(1, 31):
            screen.grade_panel.post_message(GradeProgress(screen.grade_panel.run_id, step, 90, ""))
        screen.grade_panel.post_message(
            GradeProgress(screen.grade_panel.run_id, 30, 90, "epoch 1/3: loss 0.912")
        )
        screen.grade_panel.post_message(
            GradeProgress(screen.grade_panel.run_id + 1, 1, 5, "another run's")
        )  # stale
        await pilot.pause()
        bar = screen.query_one("#grade-progress", ProgressBar)
        assert (bar.total, bar.progress) == (90, 30)
        assert "epoch 1/3: loss 0.912" in rendered(screen.query_one("#grade-status", Static))
        assert any("Training the baseline" in n.message for n in app._notifications)
    tick = GradeProgress(1, 5, 90, "")
    assert tick.can_replace(GradeProgress(1, 4, 90, "")) is True
    assert GradeProgress(1, 5, 90, "a note").can_replace(tick) is False  # notes are kept
    assert tick.can_replace(GradeProgress(2, 4, 90, "")) is False


def _result() -> GradeResult:
    checks = (
        CheckResult(
            "returns an int", "pass", "quantize_value() returns an int.", "int", "an int", 1, 1
        ),
        CheckResult(
            "rounds half to even",
            "fail",
            "quantize_value(0.5, 0.1, 10) = 0, not 15; quantize_value(0.75, 0.5, 3) = 0, not 5",
            "0/4",
            "4/4",
            0,
            2,
        ),
        CheckResult(
            "clamps to [0, 255]",
            "skip",
            "not run: needs 'rounds half to even' to pass",
            None,
            None,
            0,
            1,
        ),
        CheckResult(
            "no print left",
            "warn",
            "Debug prints are fine while you work; remove them when done.",
            1,
            "0 (soft)",
        ),
    )
    return GradeResult(
        exercise=EXERCISE,
        status="fail",
        score=1,
        max_score=4,
        duration_s=2.5,
        message="rounds half to even: quantize_value(0.5, 0.1, 10) = 0, not 15",
        checks=checks,
        env=Env("2.14.1", "x86", 2),
        output="scale 0.1\nq 5\n",
    )


def test_exercise_screen_with_results(snap_compare) -> None:
    app = exercise_app()

    async def show(pilot: Pilot) -> None:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        screen.editor.cursor_blink = False
        screen.grade_panel.show_result(_result())
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=show)


# --- small terminals, the editor ---------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_list_fits_small_terminals(size: tuple[int, int]) -> None:
    """The shipped exercises' long titles give way: every column header and each row's
    Status, Best and Hints stay on screen (they were cut off at 80 columns)."""
    app = QuizApp(start=StartExercises(), library=fixture_library())
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExerciseListScreen)
        table = screen.query_one("#exercises", DataTable)
        lines = screen_lines(app)
        content = table.scrollable_content_region  # the cells, not the scrollbar

        def table_line(line: str) -> str:
            return line[content.x : content.right]

        header = lines[table.region.y] + " "
        for label in ("#", "Exercise", "Topic", "Level", "Status", "Best", "Hints"):
            assert f" {label} " in header, (label, header)
        assert table.row_count >= 10
        for index, row_key in enumerate(table.rows):
            y = table.region.y + table.header_height + index - round(table.scroll_y)
            if y >= table.region.bottom:
                break
            status, best, hints = (str(cell) for cell in table.get_row(row_key)[4:])
            assert table_line(lines[y]).split()[-3:] == [status, best, hints], table_line(lines[y])
        assert {"⏎ Open", "esc Back", "^q Quit", "^p palette"} <= set(
            await shown_footer_keys(pilot, app)
        )
        assert whole_on_screen(app, screen.query_one("#exercises-summary"))
        assert screen.query_one("#exercise-detail").region.height >= 3


@pytest.mark.parametrize(("size", "code_lines"), [((80, 24), 10), ((60, 20), 6)])
async def test_exercise_screen_fits_small_terminals(size: tuple[int, int], code_lines: int) -> None:
    """The editor shows a screenful of code (it showed 4 lines at 80x24), the checks'
    status line and the footer's way back and main keys stay on screen."""
    app = exercise_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        assert screen.editor.scrollable_content_region.height >= code_lines
        assert screen.editor.region.height > screen.query_one("#results-pane").region.height
        assert whole_on_screen(app, screen.query_one("#grade-status"))
        assert {"^r Run", "^s Save", "esc Back", "^q Quit", "^p palette"} <= set(
            await shown_footer_keys(pilot, app)
        )


async def test_keys_the_footer_hides_are_in_the_palette() -> None:
    """At 60 columns the footer keeps Back, Quit and the main keys; the palette's Keys
    panel lists the rest."""
    app = exercise_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert "f2 Reset" not in await shown_footer_keys(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"keys")
        commands = app.screen.query_one(CommandList)
        await wait_until(pilot, lambda: commands.option_count > 0, 10)
        assert str(commands.get_option_at_index(0).prompt).startswith("Keys")
        await pilot.press("enter")
        await pilot.pause(0.2)
        table = app.screen.query_one("BindingsTable")  # scrolls: the editor's keys come first
        console = Console(width=80, file=io.StringIO(), color_system=None)
        console.print(table.render_bindings_table())  # type: ignore[attr-defined]
        listed = console.file.getvalue()  # type: ignore[attr-defined]
        assert "Reset" in listed and "Solution" in listed


async def test_escape_goes_back_from_the_editor() -> None:
    """At 120x36 the first escape moved the focus to the checks, which grew over the
    editor: escape is Back, as the footer says, and the editor keeps the height."""
    app = exercise_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExerciseScreen) and screen.editor.has_focus
        results = screen.query_one("#results-pane")
        screen.query_one("#results-scroll").focus()  # reading the report: tab, or a click
        await pilot.pause()
        assert screen.editor.region.height > results.region.height
        screen.editor.focus()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExerciseListScreen)


async def test_editor_auto_indents_python() -> None:
    """Enter keeps the line's indentation, one level more after a line ending in ':'."""
    app = exercise_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        editor = screen.editor
        editor.load_text("")
        await pilot.press(*"def f(x):", "enter")
        assert editor.cursor_location == (1, 4)
        await pilot.press(*"if x:", "enter", *"return 1", "enter")
        assert editor.cursor_location == (3, 8)
        await pilot.press(*"# still in the if")
        assert editor.text == ("def f(x):\n    if x:\n        return 1\n        # still in the if")
        editor.cursor_location = (1, 2)  # inside the indentation: split it there
        await pilot.press("enter")
        assert editor.document.get_line(1) == "  " and editor.cursor_location == (2, 2)
        await pilot.press("ctrl+z")  # one undo takes back the new line and its indent
        assert editor.document.get_line(1) == "    if x:"


def test_exercise_list_at_80x24(snap_compare) -> None:
    app = QuizApp(start=StartExercises(), library=fixture_library())
    assert snap_compare(app, terminal_size=(80, 24))


def test_exercise_screen_at_80x24(snap_compare) -> None:
    app = exercise_app()

    async def show(pilot: Pilot) -> None:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExerciseScreen)
        screen.editor.cursor_blink = False
        screen.grade_panel.show_result(_result())
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=show)


async def test_the_task_lists_the_deck_cards_on_the_exercise_and_how_to_drill_them() -> None:
    app = exercise_app("tiny-dequantize")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ExerciseScreen)
        shown = rendered(app.screen.query_one("#linked-cards", Static))
        assert "Cards on this in the decks" in shown
        assert "Why does static PTQ need a **calibration** step?" in shown
        assert (
            "drill-basics/no-such-card (not in your decks)" in shown
        )  # a listed card the decks lack is said, not hidden
        assert "quizapp drill --deck drill-basics" in shown


async def test_an_exercise_without_cards_shows_no_card_list() -> None:
    async with exercise_app().run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not pilot.app.screen.query("#linked-cards")
