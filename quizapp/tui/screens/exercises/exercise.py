"""One coding exercise: the task beside the learner's code, grading with live per-check
results, watch mode, tiered hints, reset and the solution.

The checks pane (`grade_panel.GradePanel`) grades; the learner's file on disk is a
`storage.workspace_file.WorkspaceFile`. Watch mode polls the file (`quizapp.grading.watch`):
a settled save re-grades it, and a save during a grade cancels that grade first. Edits are
never lost: the editor is saved before grading, before the external editor, before a reset
and when the screen closes (ctrl+q too).
"""

from __future__ import annotations

import difflib
import shlex
import subprocess
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Header, Static, TextArea

from quizapp.grading.catalogue import Catalogue, Exercise
from quizapp.grading.results import CheckResult, GradeResult
from quizapp.grading.watch import FileWatcher
from quizapp.storage.exercises import (
    ExerciseStatus,
    mark_solution_viewed,
    next_unsolved,
    record_result,
    results,
    set_hints_shown,
    status,
    statuses,
)
from quizapp.storage.settings import settings
from quizapp.storage.workspace import backups_dir, ensure_workspace, reset_workspace
from quizapp.storage.workspace_file import WorkspaceFile
from quizapp.tui.formatting import best_score_text
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.screens.confirm import ConfirmDialog
from quizapp.tui.screens.exercises.commands import ExerciseCommands
from quizapp.tui.screens.exercises.grade_panel import GradePanel
from quizapp.tui.screens.exercises.solution import SolutionScreen
from quizapp.tui.widgets.cards import MarkdownText
from quizapp.tui.widgets.code_editor import CodeEditor
from quizapp.tui.widgets.footer import QuickFooter


class ExerciseScreen(QuizScreen[None]):
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

    watching: reactive[bool] = reactive(False)

    def __init__(self, exercise: Exercise, catalogue: Catalogue) -> None:
        super().__init__()
        self.exercise, self.catalogue = exercise, catalogue
        self.path, backups = self._learner_file()
        self.file = WorkspaceFile(self.path, backups)
        self.watcher = FileWatcher(
            self.path, interval=self.POLL_INTERVAL_S, debounce=self.DEBOUNCE_S
        )
        self.status = ExerciseStatus(exercise.id, 0, False, None, None, None, None)
        self.closed = False
        # Held here, not queried: the edit is saved on unmount, when the DOM is gone.
        self.editor = CodeEditor.code_editor(self.file.saved_text, language="python", id="editor")
        self.grade_panel = GradePanel(exercise, self.path, self._record, id="results-pane")

    def _learner_file(self) -> tuple[Path, Path]:
        """The file this screen edits and grades, and where replaced versions are kept."""
        return ensure_workspace(self.exercise), backups_dir(self.exercise)

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
                if self.exercise.manifest.cards:
                    yield Static(self._linked_cards(), id="linked-cards")
            yield self.editor
        yield self.grade_panel.data_bind(ExerciseScreen.watching)
        yield QuickFooter()

    def _readme(self) -> str:
        try:
            return self.exercise.readme.read_text(encoding="utf-8")
        except OSError as exc:
            return f"*The task could not be read: {exc}*"

    def _linked_cards(self) -> Text:
        """The deck cards on this exercise's idea, to drill before or after writing it."""
        prompts = {
            f"{deck.deck}/{card.id}": card.prompt or card.id
            for deck in self.app.library.decks
            for card in deck.cards
        }
        text = Text()
        text.append("Cards on this in the decks", style="bold")
        for ref in self.exercise.manifest.cards:
            prompt = prompts.get(ref, "").strip()
            text.append("\n• ")
            text.append(prompt.splitlines()[0] if prompt else f"{ref} (not in your decks)")
        decks = sorted({ref.split("/")[0] for ref in self.exercise.manifest.cards})
        drill = " or ".join(f"quizapp drill --deck {deck}" for deck in decks)
        text.append(f"\nDrill them: {drill}", style="dim italic")
        return text

    def on_mount(self) -> None:
        self.query_one("#task-pane").border_title = "Task"
        self._load_status()
        for tier in range(1, self.status.hints_shown + 1):
            self._show_hint(tier)
        self._update_editor_title()
        self._update_bar()
        last = self._stored_result()
        if last is not None:
            result, when = last
            self.grade_panel.show_result(result, when=when)
        else:
            self.grade_panel.set_status_line(
                Text("Not graded yet: ctrl+r runs the checks.", style="dim")
            )
        self.set_interval(self.TICK_S, self._poll_file)
        self.editor.focus()

    @property
    def dirty(self) -> bool:
        return self.file.is_unsaved(self.editor.text)

    def _load_status(self) -> None:
        self.status = status(self.app.db, self.exercise.id)

    def _stored_result(self) -> tuple[GradeResult, str] | None:
        """The last stored grade of this exercise (shown until the next one)."""
        rows = results(self.app.db, self.exercise.id, limit=1)
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
                f" · best {best_score_text(s)} · {s.attempts} grade{'s' * (s.attempts != 1)}",
                style="dim",
            )
        text.append("  watch ", style="dim")
        text.append("ON" if self.watching else "off", style="bold green" if self.watching else "")
        self.query_one("#exercise-bar", Static).update(text)

    # --- the editor and the file --------------------------------------------------------

    @on(TextArea.Changed, "#editor")
    def _edited(self) -> None:
        self._update_editor_title()

    def save(self, *, counts_as_save: bool = False) -> bool:
        """Write the editor to the file if it changed; True when it wrote. `counts_as_save`:
        watch mode re-grades it (a grade started here passes False)."""
        if not self.dirty:
            return False
        try:
            self.file.save(self.editor.text)
        except OSError as exc:
            self.notify(f"{self.path}: could not save: {exc}", severity="error", timeout=10)
            return False
        self.watcher.sync(save=counts_as_save and self.watching)
        self._update_editor_title()
        return True

    def _load_file(self) -> None:
        """Show the file as it is on disk (after a reset, the external editor, a change)."""
        try:
            text = self.file.read()
        except (OSError, UnicodeDecodeError) as exc:
            # Keep the editor's text, marked unsaved: leaving (or ctrl+s) writes it back.
            self.file.forget_saved(self.editor.text)
            self.notify(
                f"{self.path}: could not read it ({exc}); the editor keeps its text: "
                "ctrl+s writes it back.",
                severity="error",
                timeout=15,
            )
            self._update_editor_title()
            return
        if text != self.editor.text:
            row, column = self.editor.cursor_location
            self.editor.load_text(text)
            last = self.editor.document.line_count - 1
            row = min(row, last)
            column = min(column, len(self.editor.document.get_line(row)))
            self.editor.cursor_location = (row, column)
        self._update_editor_title()

    def _poll_file(self) -> None:
        if not self.watcher.poll():
            return
        # The file settled after a change: ours (a save in watch mode) or another editor's.
        try:
            change = self.file.settle(self.editor.text)
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"{self.path}: could not read: {exc}", severity="error")
            return
        if change.differs:
            if change.kept is not None:
                self.notify(
                    f"{self.path.name} changed on disk while the editor had unsaved changes: "
                    f"the editor now shows the file; your unsaved text is in {change.kept}",
                    severity="warning",
                    timeout=15,
                )
            self._load_file()
        else:
            self._update_editor_title()
        if self.watching:
            self.grade_panel.request()

    # --- grades -----------------------------------------------------------------------------

    def _record(self, result: GradeResult) -> None:
        """A finished grade (the checks pane shows it next): stored, and a first pass told."""
        was_passed = self.status.passed
        try:
            record_result(self.app.db, result.to_json())
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

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_grade":
            return self.grade_panel.grading
        if action == "back":
            return not self.grade_panel.grading
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
        self.grade_panel.request()

    def action_cancel_grade(self) -> None:
        self.grade_panel.cancel()

    def action_toggle_watch(self) -> None:
        self.watching = not self.watching
        self._update_bar()
        if self.watching:
            self.notify(
                f"Watch mode on: every save of {self.path.name} (here or in another editor) "
                "re-grades it.",
                title="Watch",
            )
            if not self.grade_panel.regrader.running:
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
        set_hints_shown(self.app.db, self.exercise.id, shown)
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
        command = settings().editor_command
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
        before = self.file.saved_text
        self._load_file()
        changed = self.file.saved_text != before
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
                f"{backups_dir(self.exercise)}.",
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
        mark_solution_viewed(self.app.db, self.exercise.id)
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
        known = statuses(self.app.db)
        following = next_unsolved(self.catalogue.ids, known, after=self.exercise.id)
        return None if following is None else self.catalogue.get(following)

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
            self.grade_panel.close()

    def on_unmount(self) -> None:
        self._close()
