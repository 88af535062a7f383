"""In a browser (`quizapp serve`) ctrl+t, ctrl+n, ctrl+w... belong to the browser: every action
bound to such a key has a second key (alt with the same letter), on every screen."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Input
from tui.drill_support import FakeClock, drill_app

import quizapp.tui
from quizapp.tui.app import BROWSER_ALTERNATIVES, BROWSER_TAKEN_KEYS, QuizApp

SIZE = (100, 32)


def bound_keys() -> dict[str, set[str]]:
    """Every key bound anywhere in the app's screens and widgets -> the classes binding it."""
    classes: set[type] = set()
    for module in pkgutil.walk_packages(quizapp.tui.__path__, "quizapp.tui."):
        loaded = importlib.import_module(module.name)
        classes.update(
            cls
            for _, cls in inspect.getmembers(loaded, inspect.isclass)
            if issubclass(cls, DOMNode) and cls.__module__.startswith("quizapp.")
        )
    keys: dict[str, set[str]] = {}
    for cls in classes:
        for binding in cls.BINDINGS:
            if isinstance(binding, Binding):
                for key in binding.key.split(","):
                    keys.setdefault(key.strip(), set()).add(cls.__name__)
    keys.setdefault(QuizApp.COMMAND_PALETTE_BINDING, set()).add("QuizApp (palette)")
    return keys


def test_every_key_a_browser_takes_has_a_second_key() -> None:
    keys = bound_keys()
    taken = {key for key in keys if key in BROWSER_TAKEN_KEYS}
    assert taken, "the app binds ctrl keys; the scan found none"
    for key in taken:
        assert key in BROWSER_ALTERNATIVES.values(), f"{key} ({keys[key]}) has no second key"
    # The second keys are free everywhere: no screen or widget uses them for anything else.
    clashes = {alt: keys[alt] - {"QuizApp"} for alt in BROWSER_ALTERNATIVES if alt in keys}
    assert not {alt: owners for alt, owners in clashes.items() if owners}


async def test_alt_does_what_ctrl_does_while_typing_an_answer() -> None:
    app = drill_app(FakeClock(), tag="only-numeric")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(app.focused, Input)  # the answer field has the keys
        await pilot.press("alt+t")  # ctrl+t: hint
        await pilot.pause()
        assert "No hint for this card" in str(screen.query_one("#drill-hint-line").render())
        assert app.focused.value == ""  # nothing typed into the field
        await pilot.press("alt+p")  # ctrl+p: the command palette
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"
