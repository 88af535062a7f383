"""The end of a drill session: what was done, how well, and what tomorrow holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from fsrs import Rating
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from quizapp.core.scheduling import (
    RATING_NAMES,
    QueueCounts,
    SessionSummary,
    end_of_tomorrow,
    format_duration,
)
from quizapp.storage.db import Database
from quizapp.storage.reviews import due_before


class DrillSummaryScreen(Screen[None]):
    CSS_PATH = "drill_summary.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="summary-back"),
        Binding("enter", "app.pop_screen", "Done", id="summary-done"),
    ]

    def __init__(
        self,
        summary: SessionSummary,
        *,
        database: Database,
        keys: Sequence[str],
        title: str,
        cram: bool,
        clock: Callable[[], datetime],
        remaining: QueueCounts | None = None,
        next_learning: datetime | None = None,
        interview_note: str | None = None,
    ) -> None:
        super().__init__()
        self.summary = summary
        self.db = database
        self.keys = list(keys)
        self.scope_title = title
        self.cram = cram
        self.clock = clock
        self.remaining = remaining
        self.next_learning = next_learning
        self.interview_note = interview_note

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="summary-body"):
            yield Static(self._heading(), id="summary-heading")
            yield Static(self._figures(), id="summary-figures")
            if self.interview_note:
                yield Static(self.interview_note, id="summary-interview", classes="dim")
            yield Static(
                "Enter or escape to go back; ctrl+p for the command palette.", classes="dim"
            )
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = ("Cram: " if self.cram else "Drill: ") + self.scope_title

    def _heading(self) -> Text:
        if not self.summary.reviews:
            return Text("Nothing reviewed this time.", style="bold")
        if self.remaining is not None and self.remaining.total:
            return Text("Session ended", style="bold")
        return Text("Session complete", style="bold")

    def _figures(self) -> Table:
        s = self.summary
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        if s.reviews:
            table.add_row(
                "Cards reviewed",
                f"{s.cards}  ({s.reviews} review{'s' * (s.reviews != 1)}, {s.new_cards} new)",
            )
            rate = s.correct_rate or 0.0
            table.add_row("Correct", f"{s.correct} of {s.reviews} ({rate:.0%})")
            per = s.total_ms / s.reviews
            table.add_row(
                "Time", f"{format_duration(s.total_ms)}  ({format_duration(per)} a review)"
            )
            ratings = Text()
            for i, rating in enumerate(Rating):
                if i:
                    ratings.append("  ·  ", style="dim")
                color = {1: "red", 2: "yellow", 3: "green", 4: "blue"}[int(rating)]
                ratings.append(f"{RATING_NAMES[rating]} {s.ratings[rating]}", style=color)
            table.add_row("Ratings", ratings)
        if self.cram:
            table.add_row("Schedule", "unchanged (cram)")
        now = self.clock()
        here = due_before(self.db, end_of_tomorrow(now), self.keys)
        everywhere = due_before(self.db, end_of_tomorrow(now))
        tomorrow = f"{here} card{'s' * (here != 1)} due in {self.scope_title}"
        if everywhere != here:
            tomorrow += f", {everywhere} across all decks"
        table.add_row("Tomorrow", tomorrow)
        left = self.remaining
        if left is not None and left.total:
            table.add_row(
                "Not reached",
                f"{left.new} new, {left.learning} learning, {left.review} review (left for the next session)",
            )
        elif self.next_learning is not None and not self.cram:
            local = self.next_learning.astimezone()
            table.add_row(
                "Learning",
                f"cards in learning come back from {local:%H:%M}: drill again then",
            )
        if s.leeches:
            table.add_row("Leeches", Text(", ".join(s.leeches), style="bold red"))
        return table
