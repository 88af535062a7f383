"""The Textual app. Screens call `core` and `storage` and render; nothing here imports torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.app import App
from textual.binding import Binding

from quizapp.core.loader import LoadResult
from quizapp.library import load_library
from quizapp.storage.db import Database


@dataclass(frozen=True)
class StartRequest:
    """Open the app straight into a screen (`quizapp drill`, `quizapp mock`)."""

    screen: str  # "drill" | "mock" | "exercises" | "stats"
    options: dict[str, Any] = field(default_factory=dict)


class QuizApp(App[None]):
    TITLE = "quizapp"
    SUB_TITLE = "quantization interview prep"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
    ]

    def __init__(
        self,
        start: StartRequest | None = None,
        database: Database | None = None,
        library: LoadResult | None = None,
    ) -> None:
        """`database` and `library` are injected by tests; by default they come from the
        user's data folder and deck sources."""
        super().__init__()
        self.start = start
        self._database = database
        self._library = library
        self._fixed_library = library is not None

    @property
    def db(self) -> Database:
        if self._database is None:
            self._database = Database()
        return self._database

    @property
    def library(self) -> LoadResult:
        if self._library is None:
            self._library = load_library()
        return self._library

    def reload_library(self) -> LoadResult:
        if not self._fixed_library:
            self._library = None
        return self.library

    def on_mount(self) -> None:
        from quizapp.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        for notice in self.db.notices:
            self.notify(notice, title="Database", severity="warning", timeout=15)
        if self.start is not None:
            self.open_screen(self.start.screen, **self.start.options)

    def open_screen(self, name: str, **options: Any) -> None:
        """Push one of the main screens by name (home bindings, palette and CLI use this)."""
        from quizapp.tui import screens

        self.push_screen(screens.make(name, **options))

    def on_unmount(self) -> None:
        if self._database is not None:
            self._database.close()
