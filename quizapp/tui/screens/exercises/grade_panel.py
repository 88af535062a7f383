"""The checks pane of the exercise screen: it grades the learner's file, one grade at a time,
and shows the checks live as they run, then the result.

Grading runs in a child process (`quizapp.grading.runner.run_check`, started from a thread
worker); its events arrive on the runner's reader thread and come here as messages. The
`Regrader` owned here keeps one grade at a time: a grade requested while one runs cancels
that one first (watch mode's saves).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import ProgressBar, Static

from quizapp.grading.catalogue import Exercise
from quizapp.grading.results import CheckResult, GradeResult
from quizapp.grading.runner import Event, run_check
from quizapp.grading.watch import Regrader
from quizapp.tui.widgets.grade_report import CheckRow, CheckTable

OUTPUT_LINES = 200  # of the learner's (already bounded) output, the last lines shown here
STATUS_WORDS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}
STATUS_STYLES = {"pass": "bold green", "fail": "bold red", "error": "bold red"}


# --- messages from the grading thread ---------------------------------------------------


@dataclass
class GradeEvent(Message):
    """A runner event (phase, checks, check_started, check_finished, env)."""

    run_id: int
    event: Event


@dataclass
class GradeProgress(Message):
    """Setup progress (baseline training): step/total ticks come by the hundred, so a
    pending tick is dropped for the next one; a tick with a note never is."""

    run_id: int
    step: int | None
    total: int | None
    note: str

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, GradeProgress) and message.run_id == self.run_id and not self.note
        )


@dataclass
class GradeFinished(Message):
    run_id: int
    result: GradeResult


# --- the pane ---------------------------------------------------------------------------


class GradePanel(Vertical):
    """Grades `path` (the learner's copy of `exercise`) on `request()`; each finished grade
    (not a cancelled one) goes to `on_graded` before it is shown."""

    grading: reactive[bool] = reactive(False, bindings=True)
    watching: reactive[bool] = reactive(False)  # the screen's watch mode (data-bound)

    def __init__(
        self,
        exercise: Exercise,
        path: Path,
        on_graded: Callable[[GradeResult], None],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.exercise, self.path, self.on_graded = exercise, path, on_graded
        self.regrader = Regrader(self._start_grade)
        self.run_id = 0
        self.result: GradeResult | None = None  # the last finished grade of this visit
        self.rows: list[CheckRow] = []
        self.setup_note = ""
        self.closed = False
        self.border_title = "Checks"

    def compose(self) -> ComposeResult:
        with Horizontal(id="grade-line"):
            yield Static(id="grade-status")
            progress = ProgressBar(total=None, show_eta=False, id="grade-progress")
            progress.display = False
            yield progress
        with VerticalScroll(id="results-scroll"):
            message = Static(id="grade-message")
            message.display = False
            yield message
            yield CheckTable(id="checks")
            output = Static(id="grade-output")
            output.display = False
            yield output

    def set_status_line(self, text: Text | str) -> None:
        self.query_one("#grade-status", Static).update(text)

    def request(self) -> None:
        """Grade now; a running grade is cancelled first and this one starts when it stops."""
        if self.regrader.running:
            self.set_status_line(Text("Saved again: stopping the running grade …", style="bold"))
        self.regrader.request()

    def cancel(self) -> None:
        """Stop the running grade (escape)."""
        if self.regrader.cancel():
            self.set_status_line(Text("Cancelling …", style="bold yellow"))

    def close(self) -> None:
        """Stop any grade for good (the screen is closing): nothing pending starts after it."""
        self.closed = True
        self.regrader.cancel()

    def _start_grade(self, cancel: threading.Event) -> None:
        self.run_id += 1
        run_id = self.run_id
        self.grading = True
        self.rows = []
        self.setup_note = ""
        self.query_one("#checks", CheckTable).set_rows([])
        self.query_one("#grade-message", Static).display = False
        self.query_one("#grade-output", Static).display = False
        bar = self.query_one("#grade-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.set_status_line(Text("Checking … starting the grader", style="bold cyan"))
        self.run_worker(
            partial(self._grade_in_thread, run_id, cancel),
            name=f"grade-{run_id}",
            group="grade",
            thread=True,
            exit_on_error=False,
        )

    def _grade_in_thread(self, run_id: int, cancel: threading.Event) -> None:
        def on_event(event: Event) -> None:
            if event.kind == "progress":
                data = event.data
                self.post_message(
                    GradeProgress(
                        run_id, data.get("step"), data.get("total"), str(data.get("message") or "")
                    )
                )
            elif event.kind != "started":
                self.post_message(GradeEvent(run_id, event))

        try:
            result = run_check(
                self.exercise.id,
                self.path,
                exercise=self.exercise,
                on_event=on_event,
                cancel=cancel,
            )
        except Exception as exc:  # noqa: BLE001 - a grader bug must not leave the screen stuck
            result = GradeResult(
                exercise=self.exercise.id,
                status="error",
                score=0.0,
                max_score=0.0,
                duration_s=0.0,
                message=f"The grader failed to start (a bug in quizapp): {exc}",
            )
        self.post_message(GradeFinished(run_id, result))

    def on_grade_progress(self, message: GradeProgress) -> None:
        if message.run_id != self.run_id:
            return
        if message.note:
            if message.note.startswith("Training") and not self.setup_note:
                self.notify(
                    "Training the baseline model once (it is cached): about a minute.",
                    title="First run",
                    timeout=10,
                )
            self.setup_note = message.note
        bar = self.query_one("#grade-progress", ProgressBar)
        if message.step is not None and message.total:
            bar.update(total=message.total, progress=message.step)
        note = self.setup_note or "Preparing the grader"
        self.set_status_line(Text(f"Setup: {note}", style="bold cyan"))

    def on_grade_event(self, message: GradeEvent) -> None:
        if message.run_id != self.run_id:
            return
        event = message.event
        bar = self.query_one("#grade-progress", ProgressBar)
        if event.kind == "phase" and event.data.get("phase") == "setup":
            self.set_status_line(
                Text("Setup: loading torch and the exercise's data …", style="bold cyan")
            )
        elif event.kind == "checks":
            names = [str(n) for n in event.data.get("names", [])]
            self.rows = [CheckRow(name, "pending") for name in names]
            bar.update(total=max(len(names), 1), progress=0)
            self.set_status_line(
                Text(f"Checking … running your code and {len(names)} checks", style="bold cyan")
            )
        elif event.kind == "check_started":
            index = int(event.data.get("index", -1))
            if 0 <= index < len(self.rows):
                row = self.rows[index]
                self.rows[index] = CheckRow(row.name, "running")
                self.set_status_line(
                    Text(f"Checking … {row.name} ({index + 1}/{len(self.rows)})", style="bold cyan")
                )
        elif event.kind == "check_finished" and event.check is not None:
            index = int(event.data.get("index", -1))
            if 0 <= index < len(self.rows):
                self.rows[index] = _row(event.check, brief=True)
            bar.update(progress=sum(r.status not in ("pending", "running") for r in self.rows))
        self.query_one("#checks", CheckTable).set_rows(self.rows)

    def on_grade_finished(self, message: GradeFinished) -> None:
        if message.run_id == self.run_id:
            self.grading = False
            self.query_one("#grade-progress", ProgressBar).display = False
            result = message.result
            if result.cancelled:
                self.set_status_line(Text("Grading cancelled.", style="bold yellow"))
                self.query_one("#checks", CheckTable).set_rows(
                    [r if r.status != "running" else CheckRow(r.name, "skip") for r in self.rows]
                )
            else:
                self.on_graded(result)
                self.show_result(result)
        if not self.closed:
            self.regrader.finished()

    def show_result(self, result: GradeResult, when: str | None = None) -> None:
        """Render a finished grade: this visit's, the last stored one (`when` it was
        graded, UTC), or one a test injects."""
        self.result = result
        self.rows = [_row(c) for c in result.checks]
        self.query_one("#checks", CheckTable).set_rows(self.rows, empty="No check ran.")
        line = Text()
        line.append(
            STATUS_WORDS.get(result.status, result.status.upper()),
            style=STATUS_STYLES.get(result.status, "bold red"),
        )
        if result.max_score:
            line.append(f"  {result.score:g}/{result.max_score:g} points")
        line.append(f"  in {result.duration_s:.1f} s", style="dim")
        if when:
            line.append(f"  · last grade, {when} UTC: ctrl+r grades again", style="dim")
        elif self.watching:
            line.append("  · watching: save to re-grade", style="dim")
        self.set_status_line(line)
        message = self.query_one("#grade-message", Static)
        problem = _first_problem(result)
        message.update(problem or "")
        message.display = problem is not None
        output = self.query_one("#grade-output", Static)
        printed = result.output.rstrip("\n")
        if printed.strip():
            lines = printed.splitlines()
            shortened = result.output_truncated or len(lines) > OUTPUT_LINES
            text = Text("Your code printed" + (" (the end of it):" if shortened else ":") + "\n")
            text.append("\n".join(lines[-OUTPUT_LINES:]), style="dim")
            output.update(text)
            output.display = True
        else:
            output.update("")
            output.display = False


def _row(check: CheckResult, brief: bool = False) -> CheckRow:
    """`brief` (while grading): a passed check's explanation waits for the end, so the
    live list stays short enough to see whole."""
    measured = "" if check.measured is None else str(check.measured)
    message = "" if brief and check.status in ("pass", "skip") else check.message
    return CheckRow(check.name, check.status, measured, check.threshold or "", message)


def _first_problem(result: GradeResult) -> Text | None:
    """What to fix first, above the list: the first failing check with its figures, or
    the grader's message when no check could run (a syntax error, a timeout)."""
    if result.status == "pass":
        return None
    for check in result.checks:
        if check.status in ("fail", "error"):
            text = Text.assemble(("First to fix: ", "bold"), (check.name, "bold red"))
            figures = [f"measured {check.measured}"] if check.measured is not None else []
            figures += [f"needs {check.threshold}"] if check.threshold else []
            if figures:
                text.append("  " + ", ".join(figures), "dim")
            if check.message:
                text.append("\n" + check.message)
            if result.status in ("error", "timeout") and not result.message.startswith(
                f"{check.name}: "
            ):
                text.append("\n" + result.message, "bold")
            return text
    return Text(result.message, style="bold") if result.message else None
