"""The exercise screen's actions in the command palette (ctrl+p): every one, also those the
footer of a narrow terminal leaves out."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ExerciseCommands(Provider):
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

    def _commands(self) -> list[tuple[str, str, str]]:
        # Imported here: the screen's module names this provider in its COMMANDS.
        from quizapp.tui.screens.exercises.exercise import ExerciseScreen

        screen = self.screen
        if not isinstance(screen, ExerciseScreen):
            return []
        return [c for c in self.COMMANDS if screen.check_action(c[1], ()) is not False]

    async def discover(self) -> Hits:
        for title, action, help_text in self._commands():
            yield DiscoveryHit(title, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.screen.run_action, action),
                    help=help_text,
                )
