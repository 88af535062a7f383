"""The base classes of the app's screens: `self.app` is typed as `QuizApp`.

Textual types a screen's `app` as a plain `App`, so the database, the library and the app's
own methods would need a cast at every use. `getters.app` is Textual's own typed property: it
returns the running app and asserts it is a `QuizApp` (every screen here runs in one).
"""

from __future__ import annotations

from typing import TypeVar

from textual import getters
from textual.screen import ModalScreen, Screen

from quizapp.tui.app import QuizApp

ResultType = TypeVar("ResultType")


class QuizScreen(Screen[ResultType]):
    """A full screen of the app."""

    app = getters.app(QuizApp)


class QuizModalScreen(ModalScreen[ResultType]):
    """A dialog over a screen of the app."""

    app = getters.app(QuizApp)
