"""Set or clear the interview date (home, drill set-up and the command palette open it)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from quizapp.core.interview_pacing import parse_interview_date
from quizapp.core.study_days import study_day
from quizapp.storage.db import utc_now
from quizapp.storage.reviews import get_interview_date, set_interview_date
from quizapp.tui.screens.base import QuizModalScreen


class InterviewDateScreen(QuizModalScreen[bool]):
    """Dismisses True when the date was set or cleared, False when cancelled."""

    CSS_PATH = "interview_date.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="interview-cancel")]

    def compose(self) -> ComposeResult:
        current = get_interview_date(self.app.db)
        with Vertical(id="interview-dialog"):
            yield Label("Interview date", classes="section-title")
            yield Static(
                "Drills raise the pace of new cards so that every card has been seen before "
                "this day, and pull the reviews due on the day itself to the eve.",
                classes="dim",
            )
            yield Input(
                value=current.isoformat() if current else "",
                placeholder="YYYY-MM-DD (empty clears it)",
                id="interview-input",
            )
            yield Static(id="interview-error")
            yield Static("enter saves · empty clears · escape cancels", classes="dim")

    @on(Input.Submitted, "#interview-input")
    def _save(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        error = self.query_one("#interview-error", Static)
        db = self.app.db
        if not text:
            set_interview_date(db, None)
            self.notify("Interview date cleared")
            self.dismiss(True)
            return
        try:
            day = parse_interview_date(text)
        except ValueError as exc:
            error.update(str(exc))
            return
        today = study_day(utc_now())
        if day < today:
            error.update(f"{day.isoformat()} is in the past (today is {today.isoformat()})")
            return
        set_interview_date(db, day)
        self.notify(f"Interview date set to {day.isoformat()}")
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
