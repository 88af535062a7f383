"""A screen's own actions in the command palette (ctrl+p): every one the screen allows right
now (its `check_action`), also those a narrow terminal's footer leaves out."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen


class ScreenActions(Provider):
    """Subclasses give COMMANDS, (title, action, help) each, and the screen they belong to."""

    COMMANDS: tuple[tuple[str, str, str], ...] = ()

    def screen_type(self) -> type[Screen]:
        raise NotImplementedError

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        if not isinstance(screen, self.screen_type()):
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
