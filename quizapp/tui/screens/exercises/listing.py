"""The coding exercises: the list with the learner's status and best score (open one, or
continue at the next unsolved), like rustlings' list. The exercise itself is
`exercise.ExerciseScreen`."""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from quizapp.grading.catalogue import Catalogue, Exercise, load_catalogue
from quizapp.grading.progress import progress_label
from quizapp.storage.exercises import ExerciseStatus, next_unsolved, statuses
from quizapp.storage.workspace import workspace_file
from quizapp.tui.formatting import best_score_text
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.fit_table import Column, FitTable
from quizapp.tui.widgets.footer import QuickFooter

# In a narrow terminal the title gives way first (the highlighted one is whole below the
# table), then the topic: the learner's status, best score and hints stay whole.
EXERCISE_COLUMNS = (
    Column("#"),
    Column("Exercise", give_way=1, min_width=24),
    Column("Topic", give_way=2),
    Column("Level"),
    Column("Status"),
    Column("Best"),
    Column("Hints"),
)

STATUS_STYLE = {
    "new": "dim",
    "started": "bold blue",
    "failed": "bold red",
    "passed": "bold green",
}


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


class ExerciseListScreen(QuizScreen[None]):
    CSS_PATH = "listing.tcss"
    BINDINGS = [
        # Priority: the table's own enter (hidden) would otherwise keep Open off the footer.
        Binding("enter", "open_selected", "Open", priority=True, id="exercises-open"),
        Binding(
            "c",
            "continue",
            "Continue",
            tooltip="Open the next exercise not passed yet",
            id="exercises-continue",
        ),
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
            yield FitTable(EXERCISE_COLUMNS, id="exercises", cursor_type="row", zebra_stripes=True)
            yield Static(id="exercise-detail")
            yield Static(id="exercises-summary", classes="dim")
        yield QuickFooter()

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
        self.known = statuses(self.app.db)
        labels = {}
        rows = []
        for number, exercise in enumerate(self.catalogue.exercises, 1):
            status = self.known.get(exercise.id)
            label = labels[exercise.id] = progress_label(exercise, status)
            hints = f"{status.hints_shown}/{len(exercise.hints)}" if status else ""
            cells = (
                str(number),
                exercise.title,
                exercise.manifest.topic,
                exercise.manifest.difficulty,
                Text(label, style=STATUS_STYLE[label]),
                best_score_text(status),
                hints if status and status.hints_shown else "-",
            )
            rows.append((exercise.id, cells))
        self.query_one("#exercises", FitTable).set_rows(rows)
        passed = sum(1 for label in labels.values() if label == "passed")
        self.query_one("#exercises-summary", Static).update(
            f"{passed} of {len(labels)} passed. Enter opens the highlighted exercise, "
            "c the next one not passed."
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
        text.append(str(workspace_file(exercise)))
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
        exercise_id = next_unsolved(self.catalogue.ids, self.known)
        if exercise_id is None:
            self.notify("Every exercise is passed.", title="Exercises")
            return
        self.open_exercise(exercise_id)

    def open_exercise(self, exercise_id: str) -> None:
        from quizapp.tui.screens.exercises.exercise import ExerciseScreen

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
