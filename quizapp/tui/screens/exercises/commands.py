"""The exercise screen's actions in the command palette (ctrl+p): every one, also those the
footer of a narrow terminal leaves out."""

from __future__ import annotations

from textual.screen import Screen

from quizapp.tui.screen_actions import ScreenActions


class ExerciseCommands(ScreenActions):
    """The exercise screen's actions in the command palette (ctrl+p)."""

    COMMANDS = (
        ("Run the checks", "run", "Grade your code now (ctrl+r)"),
        ("Toggle watch mode", "toggle_watch", "Re-grade every time the file is saved (ctrl+l)"),
        ("Show the next hint", "hint", "Hints go from a nudge to nearly the answer (ctrl+t)"),
        ("Edit in $EDITOR", "external_editor", "Open your file in your own editor (ctrl+o)"),
        ("Reset to the starter", "reset", "Your code is kept in a backup (f2)"),
        ("Show the solution", "solution", "As a diff against your code (f3)"),
        ("Save", "save", "Write the editor to your file (ctrl+s)"),
        ("Show or hide the task", "toggle_task", "A full-width editor for long lines (f4)"),
    )

    def screen_type(self) -> type[Screen]:
        # Imported here: the screen's module names this provider in its COMMANDS.
        from quizapp.tui.screens.exercises.exercise import ExerciseScreen

        return ExerciseScreen
