"""Dialogs of the exercise screen: a yes/no confirmation and the solution as a diff."""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from quizapp.tui.widgets.footer import QuickFooter


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; dismisses True for yes (y, or the focused Yes button)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(self, title: str, message: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text, self.message, self.yes, self.no = title, message, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.title_text, id="confirm-title")
            yield Static(self.message, id="confirm-message")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", id="confirm-yes", variant="warning")
                yield Button(f"{self.no} (n)", id="confirm-no", variant="primary")
        yield QuickFooter()

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # the safe answer by default

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class SolutionScreen(ModalScreen[None]):
    """The reference solution as a unified diff against the learner's code."""

    CSS_PATH = "dialogs.tcss"
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
