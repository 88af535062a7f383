"""The coding exercises: the list with the learner's status and best score (open one, or
continue at the next unsolved), like rustlings' list. The exercise itself is
`exercises_view.ExerciseScreen`."""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from quizapp.grading.catalogue import Catalogue, Exercise, load_catalogue
from quizapp.grading.progress import progress_label
from quizapp.storage.exercises import ExerciseStatus, statuses

STATUS_STYLE = {
    "new": "dim",
    "started": "bold blue",
    "failed": "bold red",
    "passed": "bold green",
}


def best_score(status: ExerciseStatus | None) -> str:
    if status is None or status.best_score is None or not status.max_score:
        return "-"  # never graded, or only errors (no check ran)
    return f"{status.best_score:g}/{status.max_score or 0:g}"


def next_unsolved(
    catalogue: Catalogue, known: dict[str, ExerciseStatus], after: str | None = None
) -> Exercise | None:
    """The first exercise not passed, in the catalogue's order (after `after`, wrapping)."""
    exercises = catalogue.exercises
    start = 0
    if after is not None and after in catalogue.ids:
        start = catalogue.ids.index(after) + 1
    for exercise in exercises[start:] + exercises[:start]:
        status = known.get(exercise.id)
        if exercise.id != after and not (status and status.passed):
            return exercise
    return None


def _summary(readme: Path) -> str:
    """The README's first paragraph (its task in a few lines)."""
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return ""
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if block and not block.startswith(("#", "```", "|")):
            return re.sub(r"\*\*|__|`", "", " ".join(block.split()))  # bold, code marks
    return ""


class ExerciseListScreen(Screen[None]):
    CSS_PATH = "exercises.tcss"
    BINDINGS = [
        Binding("enter", "open_selected", "Open", id="exercises-open"),
        Binding("c", "continue", "Continue at next unsolved", id="exercises-continue"),
        Binding("escape", "back", "Back", id="exercises-back"),
    ]

    def __init__(
        self,
        root: Path | None = None,
        catalogue: Catalogue | None = None,
        exercise: str | None = None,
    ) -> None:
        """`root` (or a ready `catalogue`) replaces the shipped exercises (tests);
        `exercise` opens that one at once."""
        super().__init__()
        self.catalogue = catalogue or load_catalogue(root)
        self.open_at_start = exercise
        self.known: dict[str, ExerciseStatus] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="exercises-body"):
            yield Static(id="exercise-errors", classes="notice")
            yield Static("Coding exercises", classes="section-title")
            yield DataTable(id="exercises", cursor_type="row", zebra_stripes=True)
            yield Static(id="exercise-detail")
            yield Static(id="exercises-summary", classes="dim")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_list()
        notice = self.query_one("#exercise-errors", Static)
        errors = self.catalogue.errors
        if errors:
            shown = "\n".join(f"  {e}" for e in errors[:5])
            more = f"\n  … and {len(errors) - 5} more" if len(errors) > 5 else ""
            notice.update(f"Some exercises could not be loaded:\n{shown}{more}")
        notice.display = bool(errors)
        if self.open_at_start:
            self.open_exercise(self.open_at_start)

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def refresh_list(self) -> None:
        self.known = statuses(self.app.db)  # type: ignore[attr-defined]
        table = self.query_one("#exercises", DataTable)
        cursor_row = table.cursor_row
        table.clear()
        if not table.columns:
            table.add_columns("#", "Exercise", "Topic", "Level", "Status", "Best", "Hints")
        labels = {}
        for number, exercise in enumerate(self.catalogue.exercises, 1):
            status = self.known.get(exercise.id)
            label = labels[exercise.id] = progress_label(exercise, status)
            hints = f"{status.hints_shown}/{len(exercise.hints)}" if status else ""
            table.add_row(
                str(number),
                exercise.title,
                exercise.manifest.topic,
                exercise.manifest.difficulty,
                Text(label, style=STATUS_STYLE[label]),
                best_score(status),
                hints if status and status.hints_shown else "-",
                key=exercise.id,
            )
        if table.row_count:
            table.move_cursor(row=min(max(cursor_row, 0), table.row_count - 1))
        passed = sum(1 for label in labels.values() if label == "passed")
        self.query_one("#exercises-summary", Static).update(
            f"{passed} of {len(labels)} exercises passed. Enter opens the highlighted one; "
            "c continues at the next unsolved. Grading runs in a separate process: the app "
            "stays usable."
        )
        self._show_detail()

    def _highlighted(self) -> Exercise | None:
        table = self.query_one("#exercises", DataTable)
        if not table.row_count:
            return None
        return self.catalogue.exercises[table.cursor_row]

    def _show_detail(self) -> None:
        exercise = self._highlighted()
        detail = self.query_one("#exercise-detail", Static)
        if exercise is None:
            detail.update("No exercises found.")
            return
        status = self.known.get(exercise.id)
        text = Text()
        text.append(exercise.title, style="bold")
        text.append(f"  ({exercise.id})\n", style="dim")
        text.append(_summary(exercise.readme) + "\n")
        text.append("You write: ", style="dim")
        text.append(exercise.manifest.entry_point.signature + "\n", style="cyan")
        text.append("Your file: ", style="dim")
        text.append(str(exercise.workspace_file))
        if status is not None and status.attempts:
            when = status.last_at.strftime("%Y-%m-%d %H:%M UTC") if status.last_at else "?"
            text.append(
                f"\n{status.attempts} grade{'s' * (status.attempts != 1)}, last {when} "
                f"({status.last_status})",
                style="dim",
            )
        detail.update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        assert event.row_key.value is not None
        self.open_exercise(event.row_key.value)

    def action_open_selected(self) -> None:
        exercise = self._highlighted()
        if exercise is not None:
            self.open_exercise(exercise.id)

    def action_continue(self) -> None:
        exercise = next_unsolved(self.catalogue, self.known)
        if exercise is None:
            self.notify("Every exercise is passed.", title="Exercises")
            return
        self.open_exercise(exercise.id)

    def open_exercise(self, exercise_id: str) -> None:
        from quizapp.tui.screens.exercises_view import ExerciseScreen

        try:
            exercise = self.catalogue.get(exercise_id)
            screen = ExerciseScreen(exercise, self.catalogue)  # creates the learner's copy
        except KeyError as exc:
            self.notify(str(exc), severity="error")
            return
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"Cannot open your copy of {exercise_id}: {exc}", severity="error")
            return
        self.app.push_screen(screen)

    def action_back(self) -> None:
        self.app.pop_screen()
