"""The Textual app. Screens call `core` and `storage` and render; nothing here imports torch."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from quizapp.core.loader import LoadResult
from quizapp.library import load_library
from quizapp.storage.db import Database
from quizapp.tui.start import (
    StartDrill,
    StartExercises,
    StartLoop,
    StartMessage,
    StartMock,
    StartStats,
)

if TYPE_CHECKING:
    from quizapp.grading.catalogue import Catalogue

# Browsers keep some ctrl keys for themselves (ctrl+t, ctrl+n and ctrl+w never reach a page;
# the others may not, depending on the browser). In `quizapp serve` every one of them has a
# second key: alt with the same letter does what ctrl does, on every screen.
BROWSER_TAKEN_KEYS = tuple(f"ctrl+{letter}" for letter in "blnopqrstw")
BROWSER_ALTERNATIVES = {f"alt+{key[-1]}": key for key in BROWSER_TAKEN_KEYS}


class QuizApp(App[None]):
    TITLE = "quizapp"
    SUB_TITLE = "quantization interview prep"
    # Home's sheet is read with the app's: Textual does not load the CSS_PATH of a default
    # screen, and a sheet added later makes it parse all the app's CSS again (~10 ms).
    CSS_PATH = ["app.tcss", "screens/home.tcss"]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        *(
            Binding(alternative, f"press_instead({key!r})", show=False, priority=True)
            for alternative, key in BROWSER_ALTERNATIVES.items()
        ),
    ]

    def __init__(
        self,
        start: StartMessage | None = None,
        database: Database | None = None,
        library: LoadResult | None = None,
        catalogue: Catalogue | None = None,
    ) -> None:
        """`start` opens the app straight into a main screen (`quizapp drill`, `quizapp
        mock`). `database`, `library` and `catalogue` are injected by tests; by default they
        come from the user's data folder, deck sources and the shipped exercises."""
        super().__init__()
        self.start = start
        self._database = database
        self._library = library
        self._fixed_library = library is not None
        self._catalogue = catalogue

    def action_press_instead(self, key: str) -> None:
        """alt+LETTER: the same as ctrl+LETTER, for browsers that keep ctrl+LETTER."""
        self.simulate_key(key)

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

    @property
    def catalogue(self) -> Catalogue:
        """The coding exercises, read once: a drilled card links to the ones that list it."""
        if self._catalogue is None:
            from quizapp.grading.catalogue import load_catalogue

            self._catalogue = load_catalogue()
        return self._catalogue

    def reload_library(self) -> LoadResult:
        if not self._fixed_library:
            self._library = None
        return self.library

    def get_default_screen(self) -> Screen[None]:
        # Home is the bottom of the stack itself, not a screen pushed over Textual's blank one.
        from quizapp.tui.screens.home import HomeScreen

        return HomeScreen()

    def on_mount(self) -> None:
        for notice in self.db.notices:
            self.notify(notice, title="Database", severity="warning", timeout=15)
        if self.start is not None:
            # Pushed here, not posted: the first screen drawn is the one asked for.
            self.push_screen(self.start.screen())

    @on(StartDrill)
    @on(StartMock)
    @on(StartExercises)
    @on(StartStats)
    @on(StartLoop)
    def open_main_screen(self, start: StartMessage) -> None:
        """A main screen asked for by home's keys, the command palette or another screen."""
        self.push_screen(start.screen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): the main actions, then Textual's own."""
        main: list[tuple[str, str, type[StartMessage]]] = [
            ("Drill", "Review due cards with spaced repetition", StartDrill),
            ("Mock interview", "A timed mock interview", StartMock),
            ("Exercises", "Graded PyTorch coding exercises", StartExercises),
            ("Stats", "Progress figures", StartStats),
            ("Interview loop", "A concept round and a timed coding round, one report", StartLoop),
        ]
        yield SystemCommand("Home", "Back to the deck list", self.action_home)
        for title, help_text, start in main:
            yield SystemCommand(title, help_text, partial(self._post_start, start))
        yield SystemCommand(
            "Set interview date",
            "Pace the drills for an interview day",
            self.action_set_interview_date,
        )
        yield from super().get_system_commands(screen)

    def _post_start(self, start: type[StartMessage]) -> None:
        self.post_message(start())

    def action_home(self) -> None:
        while len(self.screen_stack) > 1:  # home is the default screen
            self.pop_screen()

    def action_set_interview_date(self) -> None:
        from quizapp.tui.screens.drill.interview_date import InterviewDateScreen

        self.push_screen(InterviewDateScreen())

    def on_unmount(self) -> None:
        if self._database is not None:
            self._database.close()
