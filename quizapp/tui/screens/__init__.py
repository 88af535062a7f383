"""The app's screens. `make(name)` builds one by name, importing its module only then."""

from __future__ import annotations

import importlib
from typing import Any

from textual.screen import Screen

# name -> (module, class): each main screen lives in its own module with its own .tcss.
MAIN_SCREENS: dict[str, tuple[str, str]] = {
    "home": ("quizapp.tui.screens.home", "HomeScreen"),
    "drill": ("quizapp.tui.screens.drill.setup", "DrillSetupScreen"),
    "mock": ("quizapp.tui.screens.mock.setup", "MockSetupScreen"),
    "exercises": ("quizapp.tui.screens.exercises.listing", "ExerciseListScreen"),
    "stats": ("quizapp.tui.screens.stats.screen", "StatsScreen"),
    "loop": ("quizapp.tui.screens.interview_loop.entry", "LoopEntryScreen"),
}


def make(name: str, **options: Any) -> Screen:
    module_name, class_name = MAIN_SCREENS[name]
    screen_class = getattr(importlib.import_module(module_name), class_name)
    return screen_class(**options)
