"""The reference solution of an exercise, shown as a diff against the learner's code."""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from quizapp.tui.screens.base import QuizModalScreen
from quizapp.tui.widgets.footer import QuickFooter


class SolutionScreen(QuizModalScreen[None]):
    """The reference solution as a unified diff against the learner's code."""

    CSS_PATH = "solution.tcss"
    BINDINGS = [Binding("escape,q", "close", "Close", id="solution-close")]

    def __init__(self, title: str, diff: str) -> None:
        super().__init__()
        self.title_text, self.diff = title, diff

    def compose(self) -> ComposeResult:
        with Vertical(id="solution-dialog"):
            yield Static(self.title_text, id="solution-title")
            with VerticalScroll(id="solution-scroll"):
                if self.diff:
                    yield Static(
                        Syntax(self.diff, "diff", theme="ansi_dark", word_wrap=True),
                        id="solution-diff",
                    )
                else:
                    yield Static(
                        Text("Your code is the same as the reference solution.", style="bold"),
                        id="solution-diff",
                    )
        yield QuickFooter()

    def on_mount(self) -> None:
        self.query_one("#solution-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
