"""The drill's actions in the command palette (ctrl+p): those that apply to the card shown."""

from __future__ import annotations

from textual.screen import Screen

from quizapp.tui.screen_actions import ScreenActions


class DrillCommands(ScreenActions):
    """The drill's actions in the command palette (ctrl+p), those that apply right now."""

    COMMANDS = (
        ("Undo the last review", "undo", "Take the last rating back and show its card (ctrl+b)"),
        ("Show a hint", "hint", "Strike a wrong option, or the first step of the working (ctrl+t)"),
        ("I was right", "override", "Mark a wrong verdict right; logged as an override (o)"),
        (
            "End the session",
            "finish",
            "The summary; an answered card is saved with the suggested rating (escape)",
        ),
    )

    def screen_type(self) -> type[Screen[None]]:
        # Imported here: the screen's module names this provider in its COMMANDS.
        from quizapp.tui.screens.drill.session import DrillScreen

        return DrillScreen
