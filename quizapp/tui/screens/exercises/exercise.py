"""One coding exercise: the task beside the learner's code, grading with live per-check
results, watch mode, tiered hints, reset and the solution.

Grading runs in a child process (`quizapp.grading.runner.run_check`, started from a thread
worker); its events arrive on the runner's reader thread and come here as messages. Watch
mode polls the learner's file (`quizapp.grading.watch`): a settled save re-grades it, and a
save during a grade cancels that grade first. Edits are never lost: the editor is saved
before grading, before the external editor, before a reset and when the screen closes
(ctrl+q too).
"""

from __future__ import annotations

import difflib
import os
import shlex
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Header, ProgressBar, Static, TextArea

from quizapp.grading.catalogue import (
    Catalogue,
    Exercise,
    ensure_workspace,
    reset_workspace,
)
from quizapp.grading.results import CheckResult, GradeResult
from quizapp.grading.runner import Event, run_check
from quizapp.grading.watch import FileWatcher, Regrader
from quizapp.storage.exercises import (
    ExerciseStatus,
    mark_solution_viewed,
    record_result,
    results,
    set_hints_shown,
    status,
    statuses,
)
from quizapp.tui.screens.confirm import ConfirmDialog
from quizapp.tui.screens.exercises.listing import best_score, next_unsolved
from quizapp.tui.screens.exercises.solution import SolutionScreen
from quizapp.tui.widgets.cards import MarkdownText
from quizapp.tui.widgets.code_editor import CodeEditor
from quizapp.tui.widgets.footer import QuickFooter
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


# --- the command palette ----------------------------------------------------------------


class ExerciseCommands(Provider):
    """The exercise screen's actions in the command palette (ctrl+p)."""

    COMMANDS = (
        ("Run the checks", "run", "Grade your code now (ctrl+r)"),
        ("Toggle watch mode", "toggle_watch", "Re-grade every time the file is saved (ctrl+l)"),
        ("Show the next hint", "hint", "Hints go from a nudge to nearly the answer (ctrl+t)"),
        ("Edit in $EDITOR", "external_editor", "Open your file in your own editor (ctrl+o)"),
        ("Reset to the starter", "reset", "Your code is kept in a backup (f2)"),
        ("Show the solution", "solution", "As a diff against your code (f3)"),
        ("Save", "save", "Write the editor to your file (ctrl+s)"),
        ("Show or hide the task", "toggle_task", "A full-width editor for long lines (f4)"),
    )

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        if not isinstance(screen, ExerciseScreen):
            return []
        return [c for c in self.COMMANDS if screen.check_action(c[1], ()) is not False]

    async def discover(self) -> Hits:
        for title, action, help_text in self._commands():
            yield DiscoveryHit(title, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.screen.run_action, action),
                    help=help_text,
                )


# --- the screen -------------------------------------------------------------------------


class ExerciseScreen(Screen[None]):
    CSS_PATH = "exercise.tcss"
    COMMANDS = {ExerciseCommands}
    # In the order the footer keeps them when the terminal is narrow (escape always stays);
    # the palette has them all.
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", tooltip="Save and grade", id="exercise-run"),
        Binding("ctrl+n", "next", "Next", tooltip="The next unsolved exercise", id="exercise-next"),
        Binding("ctrl+s", "save", "Save", id="exercise-save"),
        Binding("ctrl+t", "hint", "Hint", id="exercise-hint"),
        Binding("ctrl+l", "toggle_watch", "Watch", tooltip="Re-grade on save", id="exercise-watch"),
        Binding("f4", "toggle_task", "Task", tooltip="Hide/show the task", id="exercise-task"),
        Binding("f3", "solution", "Solution", id="exercise-solution"),
        Binding("ctrl+o", "external_editor", "$EDITOR", id="exercise-external-editor"),
        Binding("f2", "reset", "Reset", id="exercise-reset"),
        Binding("escape", "cancel_grade", "Cancel", id="exercise-cancel"),
        Binding("escape", "back", "Back", id="exercise-back"),
    ]
    # Watch mode's polling (tests shorten them).
    POLL_INTERVAL_S = 0.5
    DEBOUNCE_S = 0.3
    TICK_S = 0.1

    grading: reactive[bool] = reactive(False, bindings=True)
    watching: reactive[bool] = reactive(False)

    def __init__(self, exercise: Exercise, catalogue: Catalogue) -> None:
        super().__init__()
        self.exercise, self.catalogue = exercise, catalogue
        self.path = ensure_workspace(exercise)
        self.saved_text = self.path.read_text(encoding="utf-8")
        self.watcher = FileWatcher(
            self.path, interval=self.POLL_INTERVAL_S, debounce=self.DEBOUNCE_S
        )
        self.regrader = Regrader(self._start_grade)
        self.run_id = 0
        self.result: GradeResult | None = None  # the last finished grade of this visit
        self.rows: list[CheckRow] = []
        self.setup_note = ""
        self.status = ExerciseStatus(exercise.id, 0, False, None, None, None, None)
        self.closed = False
        # Held here, not queried: the edit is saved on unmount, when the DOM is gone.
        self.editor = CodeEditor.code_editor(self.saved_text, language="python", id="editor")

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="exercise-bar")
        with Horizontal(id="exercise-panes"):
            with VerticalScroll(id="task-pane"):
                yield Vertical(id="hints")
                # Drawn by Rich in one widget: Textual's Markdown (a widget per block) took
                # ~0.6 s longer to open the ptq-resnet18 task.
                yield MarkdownText(self._readme(), id="readme")
            yield self.editor
        with Vertical(id="results-pane"):
            with Horizontal(id="grade-line"):
                yield Static(id="grade-status")
                yield ProgressBar(total=None, show_eta=False, id="grade-progress")
            with VerticalScroll(id="results-scroll"):
                yield Static(id="grade-message")
                yield CheckTable(id="checks")
                yield Static(id="grade-output")
        yield QuickFooter()

    def _readme(self) -> str:
        try:
            return self.exercise.readme.read_text(encoding="utf-8")
        except OSError as exc:
            return f"*The task could not be read: {exc}*"

    def on_mount(self) -> None:
        self.query_one("#task-pane").border_title = "Task"
        self.query_one("#results-pane").border_title = "Checks"
        for hidden in ("#grade-progress", "#grade-message", "#grade-output"):
            self.query_one(hidden).display = False
        self._load_status()
        for tier in range(1, self.status.hints_shown + 1):
            self._show_hint(tier)
        self._update_editor_title()
        self._update_bar()
        last = self._stored_result()
        if last is not None:
            result, when = last
            self.show_result(result, when=when)
        else:
            self._set_status_line(Text("Not graded yet: ctrl+r runs the checks.", style="dim"))
        self.set_interval(self.TICK_S, self._poll_file)
        self.editor.focus()

    @property
    def dirty(self) -> bool:
        return self.editor.text != self.saved_text

    def _load_status(self) -> None:
        self.status = status(self.app.db, self.exercise.id)  # type: ignore[attr-defined]

    def _stored_result(self) -> tuple[GradeResult, str] | None:
        """The last stored grade of this exercise (shown until the next one)."""
        rows = results(self.app.db, self.exercise.id, limit=1)  # type: ignore[attr-defined]
        if not rows:
            return None
        row = rows[0]
        try:
            checks = tuple(CheckResult.from_wire(c) for c in row.get("checks", []))
            result = GradeResult(
                exercise=self.exercise.id,
                status=row["status"],
                score=float(row["score"]),
                max_score=float(row["max_score"]),
                duration_s=float(row["duration_s"]),
                message=str(row.get("message", "")),
                checks=checks,
            )
        except (KeyError, TypeError, ValueError):
            return None
        return result, str(row.get("finished_at", ""))[:16].replace("T", " ")

    def _update_editor_title(self) -> None:
        self.editor.border_title = self.path.name + (" ● unsaved" if self.dirty else "")

    def _update_bar(self) -> None:
        s = self.status
        text = Text()
        text.append(self.exercise.title, style="bold")
        text.append(f"  {self.exercise.id} · {self.exercise.manifest.difficulty}", style="dim")
        if s.passed:
            text.append("  passed", style="bold green")
        elif s.attempts:
            text.append("  not passed yet", style="bold red")
        if s.attempts:
            text.append(
                f" · best {best_score(s)} · {s.attempts} grade{'s' * (s.attempts != 1)}",
                style="dim",
            )
        text.append("  watch ", style="dim")
        text.append("ON" if self.watching else "off", style="bold green" if self.watching else "")
        self.query_one("#exercise-bar", Static).update(text)

    def _set_status_line(self, text: Text | str) -> None:
        self.query_one("#grade-status", Static).update(text)

    # --- the editor and the file --------------------------------------------------------

    @on(TextArea.Changed, "#editor")
    def _edited(self) -> None:
        self._update_editor_title()

    def save(self, *, counts_as_save: bool = False) -> bool:
        """Write the editor to the file if it changed; True when it wrote. `counts_as_save`:
        watch mode re-grades it (a grade started here passes False)."""
        if not self.dirty:
            return False
        text = self.editor.text
        tmp = self.path.with_name(self.path.name + ".saving")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            self.notify(f"{self.path}: could not save: {exc}", severity="error", timeout=10)
            return False
        self.saved_text = text
        self.watcher.sync(save=counts_as_save and self.watching)
        self._update_editor_title()
        return True

    def _load_file(self) -> None:
        """Show the file as it is on disk (after a reset, the external editor, a change)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            # Keep the editor's text, marked unsaved: leaving (or ctrl+s) writes it back.
            self.saved_text = "" if self.editor.text else "\n"
            self.notify(
                f"{self.path}: could not read it ({exc}); the editor keeps its text: "
                "ctrl+s writes it back.",
                severity="error",
                timeout=15,
            )
            self._update_editor_title()
            return
        self.saved_text = text
        if text != self.editor.text:
            row, column = self.editor.cursor_location
            self.editor.load_text(text)
            last = self.editor.document.line_count - 1
            row = min(row, last)
            column = min(column, len(self.editor.document.get_line(row)))
            self.editor.cursor_location = (row, column)
        self._update_editor_title()

    def _keep_unsaved(self) -> str:
        """The editor's unsaved text, written to the backups folder; returns where."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        folder = self.exercise.backups_dir
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{self.path.stem}-unsaved-{stamp}{self.path.suffix}"
        n = 1
        while target.exists():
            target = folder / f"{self.path.stem}-unsaved-{stamp}-{n}{self.path.suffix}"
            n += 1
        target.write_text(self.editor.text, encoding="utf-8")
        return str(target)

    def _poll_file(self) -> None:
        if not self.watcher.poll():
            return
        # The file settled after a change: ours (a save in watch mode) or another editor's.
        try:
            on_disk = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"{self.path}: could not read: {exc}", severity="error")
            return
        if on_disk != self.editor.text:
            if self.dirty:
                kept = self._keep_unsaved()
                self.notify(
                    f"{self.path.name} changed on disk while the editor had unsaved changes: "
                    f"the editor now shows the file; your unsaved text is in {kept}",
                    severity="warning",
                    timeout=15,
                )
            self._load_file()
        else:
            self.saved_text = on_disk
            self._update_editor_title()
        if self.watching:
            self._request_grade()

    # --- grading ------------------------------------------------------------------------

    def _request_grade(self) -> None:
        if self.regrader.running:
            self._set_status_line(Text("Saved again: stopping the running grade …", style="bold"))
        self.regrader.request()

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
        self._set_status_line(Text("Checking … starting the grader", style="bold cyan"))
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
        self._set_status_line(Text(f"Setup: {note}", style="bold cyan"))

    def on_grade_event(self, message: GradeEvent) -> None:
        if message.run_id != self.run_id:
            return
        event = message.event
        bar = self.query_one("#grade-progress", ProgressBar)
        if event.kind == "phase" and event.data.get("phase") == "setup":
            self._set_status_line(
                Text("Setup: loading torch and the exercise's data …", style="bold cyan")
            )
        elif event.kind == "checks":
            names = [str(n) for n in event.data.get("names", [])]
            self.rows = [CheckRow(name, "pending") for name in names]
            bar.update(total=max(len(names), 1), progress=0)
            self._set_status_line(
                Text(f"Checking … running your code and {len(names)} checks", style="bold cyan")
            )
        elif event.kind == "check_started":
            index = int(event.data.get("index", -1))
            if 0 <= index < len(self.rows):
                row = self.rows[index]
                self.rows[index] = CheckRow(row.name, "running")
                self._set_status_line(
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
                self._set_status_line(Text("Grading cancelled.", style="bold yellow"))
                self.query_one("#checks", CheckTable).set_rows(
                    [r if r.status != "running" else CheckRow(r.name, "skip") for r in self.rows]
                )
            else:
                self._record(result)
                self.show_result(result)
        if not self.closed:
            self.regrader.finished()

    def _record(self, result: GradeResult) -> None:
        was_passed = self.status.passed
        try:
            record_result(self.app.db, result.to_json())  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - the grade is shown; say why it was not kept
            self.notify(f"The result could not be saved: {exc}", severity="error")
        self._load_status()
        self._update_bar()
        if result.passed and not was_passed:
            following = self._next_exercise()
            then = f" ctrl+n: {following.title}." if following else ""
            self.notify(
                f"All checks pass. f3 shows the reference solution.{then}",
                title="Passed",
                timeout=10,
            )

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
        self._set_status_line(line)
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
        self._update_bar()

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_grade":
            return self.grading
        if action == "back":
            return not self.grading
        if action == "next":
            return self.status.passed and self._next_exercise() is not None
        return True

    def action_save(self) -> None:
        if self.save(counts_as_save=True):
            self.notify(f"Saved {self.path.name}", timeout=2)
        else:
            self.notify("No changes to save", timeout=2)

    def action_run(self) -> None:
        self.save()
        self.watcher.sync()  # this grade covers the file as it is now
        self._request_grade()

    def action_cancel_grade(self) -> None:
        if self.regrader.cancel():
            self._set_status_line(Text("Cancelling …", style="bold yellow"))

    def action_toggle_watch(self) -> None:
        self.watching = not self.watching
        self._update_bar()
        if self.watching:
            self.notify(
                f"Watch mode on: every save of {self.path.name} (here or in another editor) "
                "re-grades it.",
                title="Watch",
            )
            if not self.regrader.running:
                self.action_run()
        else:
            self.notify("Watch mode off", title="Watch", timeout=3)

    def action_toggle_task(self) -> None:
        """Hide the task pane for a full-width editor (long lines), or bring it back."""
        pane = self.query_one("#task-pane")
        pane.display = not pane.display

    def action_hint(self) -> None:
        hints = self.exercise.hints
        shown = self.status.hints_shown
        if shown >= len(hints):
            self.notify(f"All {len(hints)} hints are shown (top of the task pane).")
            return
        shown += 1
        set_hints_shown(self.app.db, self.exercise.id, shown)  # type: ignore[attr-defined]
        self._load_status()
        self._show_hint(shown)
        pane = self.query_one("#task-pane", VerticalScroll)
        pane.display = True
        pane.scroll_home(animate=False)
        self.notify(f"Hint {shown} of {len(hints)} is at the top of the task.", timeout=3)

    def _show_hint(self, tier: int) -> None:
        hints = self.exercise.hints
        widget = Static(
            Text.assemble((f"Hint {tier} of {len(hints)}: ", "bold"), hints[tier - 1]),
            classes="hint",
        )
        self.query_one("#hints", Vertical).mount(widget)

    def action_external_editor(self) -> None:
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not command:
            self.notify(
                "Set $EDITOR (or $VISUAL) to your editor's command, e.g. EDITOR=vim.",
                severity="warning",
            )
            return
        self.save()
        try:
            argv = [*shlex.split(command), str(self.path)]
        except ValueError as exc:
            self.notify(f"$EDITOR is not a valid command: {exc}", severity="error")
            return
        try:
            with self.app.suspend():
                finished = subprocess.run(argv, check=False)
        except OSError as exc:
            self.notify(f"Could not start {argv[0]}: {exc}", severity="error")
            return
        except Exception as exc:  # noqa: BLE001 - e.g. SuspendNotSupported (no real terminal)
            self.notify(f"Cannot leave the app for an editor here: {exc}", severity="error")
            return
        self.refresh()
        before = self.saved_text
        self._load_file()
        changed = self.saved_text != before
        self.watcher.sync(save=changed and self.watching)
        if finished.returncode != 0:
            self.notify(f"{argv[0]} exited with code {finished.returncode}", severity="warning")
        elif changed:
            self.notify(f"Reloaded {self.path.name}", timeout=2)

    def action_reset(self) -> None:
        self.save()
        self.app.push_screen(
            ConfirmDialog.yes_or_no(
                "Reset to the starter?",
                f"{self.path} gets the starter code back. Your current code is kept in "
                f"{self.exercise.backups_dir}.",
                yes="Reset",
                no="Keep my code",
            ),
            self._reset_confirmed,
        )

    def _reset_confirmed(self, choice: str | None) -> None:
        if choice != "yes":
            return
        self.save()
        try:
            backup = reset_workspace(self.exercise)
        except OSError as exc:
            self.notify(f"Reset failed: {exc}", severity="error")
            return
        self._load_file()
        self.watcher.sync()
        where = f" Your code was saved to {backup}" if backup else ""
        self.notify(f"Back to the starter.{where}", title="Reset", timeout=15)

    def action_solution(self) -> None:
        self._load_status()
        if self.status.passed or self.status.solution_viewed:
            self._show_solution()
            return
        self.app.push_screen(
            ConfirmDialog.yes_or_no(
                "See the solution before passing?",
                "You have not passed this exercise yet. The reference solution is shown as a "
                "diff against your code, and the exercise is marked as solution viewed. A "
                "hint (ctrl+t) gives less away.",
                yes="Show it",
                no="Not yet",
            ),
            self._solution_confirmed,
        )

    def _solution_confirmed(self, choice: str | None) -> None:
        if choice == "yes":
            self._show_solution()

    def _show_solution(self) -> None:
        self.save()
        mark_solution_viewed(self.app.db, self.exercise.id)  # type: ignore[attr-defined]
        self._load_status()
        mine = self.editor.text.splitlines(keepends=True)
        solution = self.exercise.solution.read_text(encoding="utf-8").splitlines(keepends=True)
        diff = "".join(
            difflib.unified_diff(
                mine, solution, fromfile=f"your {self.path.name}", tofile="solution.py"
            )
        )
        self.app.push_screen(
            SolutionScreen(
                f"{self.exercise.title}: the reference solution (- your code, + solution)", diff
            )
        )

    def _next_exercise(self) -> Exercise | None:
        known = statuses(self.app.db)  # type: ignore[attr-defined]
        return next_unsolved(self.catalogue, known, after=self.exercise.id)

    def action_next(self) -> None:
        following = self._next_exercise()
        if following is None:
            return
        try:
            screen = ExerciseScreen(following, self.catalogue)  # creates the learner's copy
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"Cannot open your copy of {following.id}: {exc}", severity="error")
            return
        self._close()
        self.app.pop_screen()
        self.app.push_screen(screen)

    def action_back(self) -> None:
        self._close()
        self.app.pop_screen()

    def _close(self) -> None:
        """Keep the edit and stop any grade (leaving, or the app quitting)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.save()
        finally:
            self.regrader.cancel()

    def on_unmount(self) -> None:
        self._close()


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
            if check.measured is not None or check.threshold:
                text.append(f"  measured {check.measured}, needs {check.threshold or '-'}", "dim")
            if check.message:
                text.append("\n" + check.message)
            if result.status in ("error", "timeout") and not result.message.startswith(
                f"{check.name}: "
            ):
                text.append("\n" + result.message, "bold")
            return text
    return Text(result.message, style="bold") if result.message else None
