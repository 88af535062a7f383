"""The coding round: the exercise screen against the round's clock.

What changes from practising an exercise (`screens/exercises/exercise.py`): the code is the
loop's own fresh copy of the starter; the countdown is in the bar; every grade and every hint
is counted in the loop, not in the learner's exercise history; one grade at a time (no watch
mode, no cancel: a grade costs clock time, as running code does in an interview); no reset, no
next exercise, and the reference solution only after the round. When the time runs out (or
the learner submits with f9) the last saved code is the final answer: a grade still running
finishes and counts, then the final one runs unless a finished grade already covered exactly
that code.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from quizapp.core.interview_loop import CodingRound, CodingRoundError
from quizapp.core.time_format import format_countdown
from quizapp.grading.results import GradeResult
from quizapp.storage.exercises import ExerciseStatus
from quizapp.storage.workspace import loop_copy
from quizapp.tui.screens.confirm import Choice, ConfirmDialog
from quizapp.tui.screens.exercises.exercise import ExerciseScreen
from quizapp.tui.screens.interview_loop.session import RESUME_HINT, LoopSession

TICK_S = 0.25
SAVE_EVERY_S = 1.0  # a killed app loses at most this much of the round's clock
LOW_TIME_S = 300.0
# The practice screen's actions that a round does not have.
NOT_IN_A_ROUND = {"next", "toggle_watch", "reset", "cancel_grade", "back"}


def grade_outcome(result: GradeResult) -> dict[str, object]:
    """What the loop keeps of a grade: pass or not, the points, each check's figure."""
    return {
        "passed": result.passed,
        "status": result.status,
        "score": result.score,
        "max_score": result.max_score,
        "message": result.message,
        "checks": [
            {
                "name": c.name,
                "passed": c.status == "pass",
                "value": c.measured,
                "threshold": c.threshold,
            }
            for c in result.checks
        ],
    }


class LoopCodingScreen(ExerciseScreen, inherit_bindings=False):
    CSS_PATH = "../exercises/exercise.tcss"  # relative to this file: the exercise screen's
    # The round's own keys, in the order the footer keeps them when the terminal is narrow:
    # the practice screen's next, watch, reset, cancel and solution are not part of a round.
    BINDINGS = [
        *Screen.BINDINGS,
        Binding("ctrl+r", "run", "Run", tooltip="Save and grade (counted)", id="loop-run"),
        Binding("f9", "submit", "Submit", tooltip="Hand in the saved code", id="loop-submit"),
        Binding("ctrl+s", "save", "Save", id="loop-save"),
        Binding("ctrl+t", "hint", "Hint", tooltip="The next hint (counted)", id="loop-hint"),
        Binding("f4", "toggle_task", "Task", tooltip="Hide/show the task", id="loop-task"),
        Binding("ctrl+o", "external_editor", "$EDITOR", id="loop-external-editor"),
        Binding("escape", "leave", "Leave", id="loop-coding-leave"),
    ]

    def __init__(self, session: LoopSession) -> None:
        self.session = session
        super().__init__(session.exercise, session.catalogue)
        self.sub_title = f"Interview loop {session.loop_id}: coding round"
        self.leaving = False
        self._last_save = session.clock()

    @property
    def coding_round(self) -> CodingRound:
        return self.session.loop.coding

    def _learner_file(self) -> tuple[Path, Path]:
        path = loop_copy(self.exercise, self.session.loop_id)
        return path, path.parent / "backups"

    def on_mount(self) -> None:
        # The exercise screen's on_mount runs too, after this one (handlers run down the MRO).
        self.set_interval(TICK_S, self._tick_round)
        # A loop resumed after its time ran out goes straight to the final grade.
        self.call_after_refresh(self._settle)

    # the learner's status, as the loop counts it -------------------------------------------

    def _load_status(self) -> None:
        finished = [g for g in self.coding_round.grades if g.outcome is not None]
        self.status = ExerciseStatus(
            self.exercise.id,
            attempts=self.coding_round.grades_run,
            passed=bool(finished and finished[-1].passed),
            best_score=None,
            max_score=None,
            last_status=None,
            last_at=None,
            hints_shown=self.coding_round.hints_shown,
        )

    def _stored_result(self) -> tuple[GradeResult, str] | None:
        return None  # the learner's practice grades are not this round's

    def _update_bar(self) -> None:
        left = self.coding_round.remaining_s
        text = Text()
        text.append(self.exercise.title, style="bold")
        text.append(
            f"  {format_countdown(left)} left", style="bold red" if left <= LOW_TIME_S else "bold"
        )
        grades = self.coding_round.grades_run
        text.append(
            f"  · {grades} grade{'s' * (grades != 1)} · hints {self.coding_round.hints_shown} of "
            f"{self.coding_round.hint_count}",
            style="dim",
        )
        if self.coding_round.status == "closing":
            text.append("  · time is up: grading your final answer", style="bold yellow")
        self.query_one("#exercise-bar", Static).update(text)

    # the clock ------------------------------------------------------------------------------

    def _tick_round(self) -> None:
        if self.leaving:
            return
        if self.coding_round.tick():
            self.notify(
                "Time is up: your last saved code is your final answer.",
                title="Coding round over",
                timeout=8,
            )
            self._settle()
        elif self.session.clock() - self._last_save >= SAVE_EVERY_S:
            self.session.save(self.app.db)
            self._last_save = self.session.clock()
        self._update_bar()

    def _saved_sha(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def _settle(self) -> None:
        """After the close: wait for a running grade, run the final one, or move on."""
        if self.coding_round.status == "closing":
            if self.coding_round.in_flight():
                self.grade_panel.set_status_line(
                    Text("Time is up: waiting for the running grade, which counts.", style="bold")
                )
                return
            final_answer = self._saved_sha()
            if self.coding_round.final_grade_needed(final_answer):
                self.coding_round.begin_final_grade(final_answer)
                self.session.save(self.app.db)
                self.watcher.sync()
                self.grade_panel.request()
                self._update_bar()
                return
        if self.coding_round.status == "finished":
            self.session.save(self.app.db)
            self.leaving = True
            self._close()
            self.app.switch_screen(self.session.next_screen(self.app.db))

    # grades and hints, counted ----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in NOT_IN_A_ROUND:
            return False
        if action in ("run", "hint", "submit"):
            return self.coding_round.status == "running" and not (
                action == "run" and self.grade_panel.grading
            )
        return super().check_action(action, parameters)

    def action_run(self) -> None:
        self.save()
        try:
            self.coding_round.begin_grade(self._saved_sha())
        except CodingRoundError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.session.save(self.app.db)
        self.watcher.sync()
        self.grade_panel.request()
        self._update_bar()

    def _record(self, result: GradeResult) -> None:
        running = self.coding_round.in_flight()
        if not running:
            return  # a grade the loop no longer waits for (resumed after a kill)
        self.coding_round.end_grade(running[0], grade_outcome(result))
        self.session.save(self.app.db)
        self._load_status()
        self._update_bar()
        self._settle()

    def action_hint(self) -> None:
        try:
            tier = self.coding_round.show_hint()
        except CodingRoundError as exc:
            self.notify(str(exc))
            return
        self.session.save(self.app.db)
        self._show_hint(tier + 1)
        self.query_one("#task-pane").display = True
        self._update_bar()
        self.notify(
            f"Hint {tier + 1} of {self.coding_round.hint_count} is at the top of the task (counted).",
            timeout=3,
        )

    def action_solution(self) -> None:
        self.notify("The reference solution opens when the round is over.", timeout=4)

    # submitting and leaving -----------------------------------------------------------------

    def _time_left(self) -> str:
        return f"{format_countdown(self.coding_round.remaining_s)} left on the clock (it keeps running)."

    def action_submit(self) -> None:
        self.save()
        self.app.push_screen(
            ConfirmDialog(
                "Submit your code?",
                f"{self.path.name} as it is saved now is your final answer; it is graded, then "
                "the report.",
                [Choice("keep", "Keep going", "default"), Choice("submit", "Submit", "primary")],
                live=self._time_left,
            ),
            self._after_confirm,
        )

    def action_leave(self) -> None:
        self.app.push_screen(
            ConfirmDialog(
                "Leave the interview loop?",
                "A real interview doesn't pause. If you leave, your code and the loop are saved "
                f"and the round's clock stops; {RESUME_HINT}. A grade still running is counted, "
                "without its result, and the report says the round was interrupted.",
                [
                    Choice("keep", "Keep going", "default"),
                    Choice("leave", "Leave", "warning"),
                    Choice("submit", "Submit now", "primary"),
                ],
                live=self._time_left,
            ),
            self._after_confirm,
        )

    def _after_confirm(self, choice: str | None) -> None:
        if self.coding_round.status != "running":
            return
        if choice == "submit":
            self.save()
            self.coding_round.submit()
            self.session.save(self.app.db)
            self._settle()
        elif choice == "leave":
            self.leaving = True
            self.coding_round.tick()
            self.session.save(self.app.db)
            self._close()
            self.app.pop_screen()

    def on_unmount(self) -> None:
        # Quitting the app mid-round (ctrl+q) is leaving it: keep the time (the exercise
        # screen's own on_unmount, which runs after this one, keeps the code).
        if self.coding_round.status in ("running", "closing"):
            self.coding_round.tick()
            # the database may already be closed with the app
            with contextlib.suppress(sqlite3.ProgrammingError):
                self.session.save(self.app.db)
