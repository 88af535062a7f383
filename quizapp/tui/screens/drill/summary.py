"""The end of a drill session: what was done, how well, and what comes due when."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from fsrs import Rating
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static

from quizapp.core.drill_queue import QueueCounts, SessionReview, SessionSummary
from quizapp.core.due_cards import due_outlook
from quizapp.core.fsrs_scheduler import RATING_NAMES
from quizapp.core.time_format import format_duration_ms
from quizapp.storage.db import Database
from quizapp.storage.reviews import get_interview_date, load_states
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.footer import QuickFooter


class DrillSummaryScreen(QuizScreen[None]):
    CSS_PATH = "summary.tcss"
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
        interview_note: str | None = None,
        saved_on_leaving: SessionReview | None = None,
    ) -> None:
        super().__init__()
        self.summary = summary
        self.db = database
        self.keys = list(keys)
        self.scope_title = title
        self.cram = cram
        self.clock = clock
        self.remaining = remaining
        self.interview_note = interview_note
        self.saved_on_leaving = saved_on_leaving

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
        yield QuickFooter()

    def on_mount(self) -> None:
        self.sub_title = ("Cram: " if self.cram else "Drill: ") + self.scope_title

    def _heading(self) -> Text:
        if not self.summary.reviews:
            return Text("Nothing reviewed this time.", style="bold")
        if self._not_reached():
            return Text("Session ended", style="bold")
        return Text("Session complete", style="bold")

    def _figures(self) -> Table:
        s = self.summary
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        if s.reviews:
            # Cram answers are not reviews (they never move the schedule): named apart.
            label, noun = ("Cards crammed", "answer") if self.cram else ("Cards reviewed", "review")
            table.add_row(
                label,
                f"{s.cards}  ({s.reviews} {noun}{'s' * (s.reviews != 1)}, {s.new_cards} new)",
            )
            rate = s.correct_rate or 0.0
            table.add_row("Correct", f"{s.correct} of {s.reviews} ({rate:.0%})")
            per = s.total_ms / s.reviews
            table.add_row(
                "Time", f"{format_duration_ms(s.total_ms)}  ({format_duration_ms(per)} a review)"
            )
            ratings = Text()
            for i, rating in enumerate(Rating):
                if i:
                    ratings.append("  ·  ", style="dim")
                color = {1: "red", 2: "yellow", 3: "green", 4: "blue"}[int(rating)]
                ratings.append(f"{RATING_NAMES[rating]} {s.ratings[rating]}", style=color)
            table.add_row("Ratings", ratings)
        saved = self.saved_on_leaving
        if saved is not None:
            table.add_row(
                "On leaving",
                f"{saved.key} rated {RATING_NAMES[saved.rating]} (the suggested rating) "
                "as you left",
            )
        if self.cram:
            table.add_row("Schedule", "unchanged (cram)")
        table.add_row("Coming up", self._coming_up())
        left = self._not_reached()
        if left:
            table.add_row("Not reached", f"{left} (left for the next session)")
        if s.leeches:
            table.add_row("Leeches", Text(", ".join(s.leeches), style="bold red"))
        return table

    def _not_reached(self) -> str:
        """New and review cards the session had and did not show. Learning cards are not
        counted here: `_coming_up` says when they are due."""
        left = self.remaining
        if left is None or not (left.new or left.review):
            return ""
        return f"{left.new} new, {left.review} review"

    def _coming_up(self) -> str:
        """When the scope's cards come due: in minutes, later today, tomorrow (a learning
        step due in 10 minutes is not "tomorrow")."""
        now = self.clock()
        interview = get_interview_date(self.db)
        states = load_states(self.db)
        mine = set(self.keys)
        here = due_outlook([s for k, s in states.items() if k in mine], now, interview=interview)
        text = f"{self.scope_title}: {here.describe()}"
        everywhere = due_outlook(states.values(), now, interview=interview)
        if everywhere != here:
            text += f"\nall decks: {everywhere.describe()}"
        return text
