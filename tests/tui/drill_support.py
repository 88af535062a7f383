"""Shared set-up of the drill tests: the fixture deck, a frozen clock, UTC days."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Static

from quizapp.core.loader import LoadResult, load_decks
from quizapp.tui.app import QuizApp
from quizapp.tui.start import StartDrill

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "drill"
DECK = "drill-basics"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """The drill screens' clock: frozen until a test advances it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def shown_text(widget: Static) -> str:
    """What a Static shows, as plain text (Rich tables included)."""
    console = Console(width=120, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


def fixture_library() -> LoadResult:
    library = load_decks([FIXTURES])
    assert library.ok, library.errors
    return library


def drill_app(clock: FakeClock, **options: Any) -> QuizApp:
    """The app opened straight into a drill session (as `quizapp drill` does)."""
    options = {"deck": DECK, "autostart": True, "clock": clock, "seed": 7, **options}
    return QuizApp(start=StartDrill(**options), library=fixture_library())


@pytest.fixture
def utc_days(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Study days follow the local clock; pin it to UTC so tests mean the same anywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
