"""Start-up: QuizApp to its first interactive screen vs a bare Textual app; `quizapp --help`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from bench.common import REPO, Figure, fresh_home, median_time


class BareApp(App[None]):
    """The baseline: a Textual app with the same kind of home screen and no work behind it."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Footer()


class SameHome(Screen[None]):
    """The home screen of SameScreenApp (its keys are QuizApp home's, set by a subclass)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home-body"):
            yield Static(id="deck-errors", classes="notice")
            yield Static("No interview date set (i sets one)", id="interview", classes="dim")
            yield Static("Decks", classes="section-title")
            yield DataTable(id="decks", cursor_type="row", zebra_stripes=True)
            yield Static(self.app.summary, id="deck-summary", classes="dim")  # type: ignore[attr-defined]
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#deck-errors").display = False
        table = self.query_one(DataTable)
        table.add_columns("Deck", "Title", "Cards", "Generated", "Due", "New")
        for row in self.app.rows:  # type: ignore[attr-defined]
            table.add_row(*row, key=row[0])


class SameScreenApp(App[None]):
    """The second baseline: a plain Textual app (Textual's own widgets) drawing what QuizApp's
    home shows, with the same styles, rows and keys, and no work behind it (no deck loading,
    no database). The rows are given, computed once outside the timing."""

    TITLE = "quizapp"
    SUB_TITLE = "quantization interview prep"
    BINDINGS: list[Binding] = []  # QuizApp's app-wide keys, set by _same_screen_args

    def __init__(self, rows: list[tuple], summary: str, home: type[Screen], css: str) -> None:
        self.CSS = css
        super().__init__()
        self.rows, self.summary, self.home = rows, summary, home

    def get_default_screen(self) -> Screen:
        return self.home()


def _same_screen_args() -> tuple:
    """What QuizApp's home shows now (rows, summary, keys, styles), for a SameScreenApp."""
    from quizapp.library import load_library
    from quizapp.storage.db import Database
    from quizapp.storage.reviews import deck_counts
    from quizapp.tui.app import QuizApp
    from quizapp.tui.screens.home import HomeScreen

    library = load_library()
    db = Database()
    counts = deck_counts(db, library)
    db.close()
    rows = [
        (
            deck.deck,
            deck.title,
            str(len(deck.cards)),
            str(len(deck.cards) - deck.hand_written),
            Text(
                str(counts[deck.deck].due), style="bold green" if counts[deck.deck].due else "dim"
            ),
            Text(str(counts[deck.deck].new), style="bold blue" if counts[deck.deck].new else "dim"),
        )
        for deck in library.decks
    ]
    total = sum(len(d.cards) for d in library.decks)
    due = sum(c.due for c in counts.values())
    summary = (
        f"{len(library.decks)} decks, {total} cards, {due} due now. "
        "Enter: drill the highlighted deck; d: choose what to drill."
    )
    tui = REPO / "quizapp" / "tui"
    css = (tui / "app.tcss").read_text() + (tui / "screens" / "home.tcss").read_text()
    SameScreenApp.BINDINGS = list(QuizApp.BINDINGS)  # ctrl+q and the browser alternatives
    home = type("SameHomeKeys", (SameHome,), {"BINDINGS": list(HomeScreen.BINDINGS)})
    return rows, summary, home, css


async def _time_to_interactive(make_app) -> float:
    start = time.perf_counter()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        elapsed = time.perf_counter() - start
        await pilot.press("ctrl+q")
    return elapsed


def _headless(make_app) -> float:
    return asyncio.run(_time_to_interactive(make_app))


def _quizapp() -> App:
    from quizapp.tui.app import QuizApp

    return QuizApp()


def run() -> list[Figure]:
    fresh_home()  # one home for every run: the database exists after the warm-up, as for a user
    ours = median_time(lambda: _headless(_quizapp), runs=7, warmup=2)
    bare = median_time(lambda: _headless(BareApp), runs=7, warmup=2)
    same_args = _same_screen_args()  # outside the timing: the baseline does no such work
    same = median_time(lambda: _headless(lambda: SameScreenApp(*same_args)), runs=7, warmup=2)
    help_time = median_time(
        lambda: subprocess.run(
            [sys.executable, "-m", "quizapp", "--help"], capture_output=True, check=True
        ),
        runs=5,
    )
    python_time = median_time(
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), runs=5
    )
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, quizapp.cli, quizapp.tui.app; print('torch' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    torch_loaded = probe.stdout.strip() == "True"
    return [
        Figure(
            "startup",
            "QuizApp to first interactive screen (headless)",
            ours,
            "s",
            baseline=bare,
            baseline_name="bare Textual app: header, empty table, footer",
            goal="<= 1.3x",
        ),
        Figure(
            "startup",
            "QuizApp to first interactive screen, vs the same screen without the app's work",
            ours,
            "s",
            baseline=same,
            baseline_name="plain Textual app drawing the same home (rows, keys, styles)",
            note="the baseline draws the same rows, keys and styles with Textual's own widgets, no work",
        ),
        Figure(
            "startup",
            "process: quizapp --help",
            help_time,
            "s",
            baseline=python_time,
            baseline_name="python -c pass",
            note=f"torch imported by the TUI modules: {'YES' if torch_loaded else 'no'}",
        ),
    ]
