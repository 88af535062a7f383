"""The one confirmation dialog: a question with a few answers, over any screen.

Each answer is a button; the first letter of its key chooses it from the keyboard (shown on
the button), escape cancels. The mock's dialogs add a live line (its clock keeps running
behind them); the yes/no questions of the drill and the exercise screen use `yes_or_no`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

from quizapp.tui.screens.base import QuizModalScreen
from quizapp.tui.widgets.footer import QuickFooter

LIVE_REFRESH_S = 0.25  # the live line's redraw, as often as the mock's clock ticks
CANCEL = "cancel"  # what escape dismisses with


class Choice(NamedTuple):
    key: str  # what the dialog dismisses with; its first letter chooses it
    label: str
    variant: ButtonVariant = "default"


class ConfirmDialog(QuizModalScreen[str]):
    """Dismisses with the key of the answer chosen, or `CANCEL` on escape."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [Binding("escape", f"choose('{CANCEL}')", "Cancel", id="confirm-cancel")]

    def __init__(
        self,
        title: str,
        message: str,
        choices: Sequence[Choice],
        *,
        focus: str | None = None,
        live: Callable[[], str] | None = None,
    ) -> None:
        """`focus`: the key of the answer focused at first (the first one by default).
        `live` gives a line that is redrawn while the dialog is open."""
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = list(choices)
        self.focus_key = focus if focus is not None else self.choices[0].key
        self.live = live
        self.shortcuts = {choice.key[0]: choice.key for choice in self.choices}

    @classmethod
    def yes_or_no(cls, title: str, message: str, yes: str = "Yes", no: str = "No") -> ConfirmDialog:
        """A yes/no question (y, n) that dismisses "yes" or "no"; the safe "no" is focused."""
        choices = [Choice("yes", yes, "warning"), Choice("no", no, "primary")]
        return cls(title, message, choices, focus="no")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.title_text, id="confirm-title")
            yield Static(self.message, id="confirm-message")
            if self.live is not None:
                yield Static(self.live(), id="confirm-live")
            with Horizontal(id="confirm-buttons"):
                for choice in self.choices:
                    yield Button(
                        f"{choice.label} ({choice.key[0]})",
                        id=f"choice-{choice.key}",
                        variant=choice.variant,
                    )
        yield QuickFooter()

    def on_mount(self) -> None:
        self.query_one(f"#choice-{self.focus_key}", Button).focus()
        if self.live is not None:
            self.set_interval(LIVE_REFRESH_S, self.refresh_live)

    def refresh_live(self) -> None:
        if self.live is not None:
            self.query_one("#confirm-live", Static).update(self.live())

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.dismiss(event.button.id.removeprefix("choice-"))

    def action_choose(self, key: str) -> None:
        self.dismiss(key)

    def on_key(self, event: events.Key) -> None:
        if event.character in self.shortcuts:
            event.stop()
            self.dismiss(self.shortcuts[event.character])
