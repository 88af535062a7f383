"""Home: the decks with their card counts, and the way into every mode."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from quizapp.storage.mocks import unfinished_mocks
from quizapp.storage.reviews import deck_counts, get_interview_date
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.start import StartDrill, StartExercises, StartLoop, StartMock, StartStats
from quizapp.tui.widgets.fit_table import Column, FitTable
from quizapp.tui.widgets.footer import QuickFooter

# At 80 columns the counts stay whole: the title gives way first, then the deck id.
DECK_COLUMNS = (
    Column("Deck", give_way=2),
    Column("Title", give_way=1),
    Column("Cards"),
    Column("Generated", short="Gen."),
    Column("Due"),
    Column("New"),
)


class HomeScreen(QuizScreen[None]):
    CSS_PATH = "home.tcss"
    # In the order the footer keeps them when the terminal is narrow (q always stays).
    BINDINGS = [
        Binding("d", "drill", "Drill", id="drill"),
        Binding("m", "mock", "Mock", tooltip="Mock interview", id="mock"),
        Binding("e", "exercises", "Exercises", id="exercises"),
        Binding("s", "stats", "Stats", id="stats"),
        Binding("l", "loop", "Loop", tooltip="Interview loop: concepts + coding", id="loop"),
        Binding("i", "app.set_interview_date", "Interview date", id="interview-date"),
        Binding("r", "reload", "Reload", tooltip="Read the deck files again", id="reload"),
        Binding("q", "app.quit", "Quit", id="quit-home"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home-body"):
            yield Static(id="deck-errors", classes="notice")
            yield Static(id="interview", classes="dim")
            yield Static("Decks", classes="section-title")
            yield FitTable(DECK_COLUMNS, id="decks", cursor_type="row", zebra_stripes=True)
            yield Static(id="deck-summary", classes="dim")
        yield QuickFooter()

    def on_screen_resume(self) -> None:
        # Resume comes after mount when home is first shown, and again on every return to it.
        self.refresh_decks()

    def refresh_decks(self) -> None:
        library = self.app.library
        db = self.app.db
        counts = deck_counts(db, library)
        rows = []
        for deck in library.decks:
            due, new = counts[deck.deck].due, counts[deck.deck].new
            cells = (
                deck.deck,
                deck.title,
                str(len(deck.cards)),
                str(len(deck.cards) - deck.hand_written),
                Text(str(due), style="bold green" if due else "dim"),
                Text(str(new), style="bold blue" if new else "dim"),
            )
            rows.append((deck.deck, cells))
        self.query_one("#decks", FitTable).set_rows(rows)
        total = sum(len(d.cards) for d in library.decks)
        due = sum(c.due for c in counts.values())
        self.query_one("#deck-summary", Static).update(
            f"{len(library.decks)} deck{'s' * (len(library.decks) != 1)}, {total} cards, "
            f"{due} due now. "
            "Enter: drill the highlighted deck; d: choose what to drill."
        )
        interview = get_interview_date(db)
        lines = [
            f"Interview on {interview.isoformat()} (i changes it)"
            if interview
            else "No interview date set (i sets one)"
        ]
        unfinished = unfinished_mocks(db)
        if unfinished:
            lines.append(
                f"Mock {unfinished[0].id} is unfinished: m, then ctrl+r resumes it "
                "with its time left."
            )
        self.query_one("#interview", Static).update("\n".join(lines))
        notice = self.query_one("#deck-errors", Static)
        if library.errors:
            files = library.failed_files
            shown = "\n".join(f"  {e}" for e in library.errors[:5])
            more = f"\n  … and {len(library.errors) - 5} more" if len(library.errors) > 5 else ""
            notice.update(
                f"{len(files)} deck file{'s' * (len(files) != 1)} skipped because of errors "
                f"(run `quizapp validate`):\n{shown}{more}"
            )
            notice.display = True
        else:
            notice.display = False

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(StartDrill(deck=event.row_key.value))

    def action_drill(self) -> None:
        self.post_message(StartDrill())

    def action_mock(self) -> None:
        self.post_message(StartMock())

    def action_exercises(self) -> None:
        self.post_message(StartExercises())

    def action_stats(self) -> None:
        self.post_message(StartStats())

    def action_loop(self) -> None:
        self.post_message(StartLoop())

    def action_reload(self) -> None:
        self.app.reload_library()
        self.refresh_decks()
        self.notify("Decks reloaded")
