"""The messages that open a main screen: one per destination, with that screen's options typed.

`quizapp drill` and `quizapp mock` start the app with one; home's keys, the command palette
and other screens post one, and the app pushes the screen it builds (`QuizApp`). Each
screen's module is imported only when its screen is built, so start-up loads none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from textual.screen import Screen

    from quizapp.core.interview_loop import LoopPlan
    from quizapp.core.mock.draw import MockSetup
    from quizapp.core.mock.run import Clock
    from quizapp.grading.catalogue import Catalogue


@dataclass
class StartDrill(Message):
    """Drill set-up; with `autostart` the session starts at once (or says why it cannot).
    `clock` and `seed` are injected by tests."""

    deck: str | None = None
    tag: str | None = None
    cram: bool = False
    new_limit: int | None = None
    autostart: bool = False
    clock: Callable[[], datetime] | None = None
    seed: int | None = None

    def screen(self) -> Screen[None]:
        from quizapp.tui.screens.drill.setup import DrillSetupScreen

        return DrillSetupScreen(
            deck=self.deck,
            tag=self.tag,
            cram=self.cram,
            new_limit=self.new_limit,
            autostart=self.autostart,
            clock=self.clock,
            seed=self.seed,
        )


@dataclass
class StartMock(Message):
    """Mock set-up: `setup` prefills the form (with `autostart`, the mock starts); `resume`
    continues an unfinished mock; `report` opens a finished one's report. `clock` and `now`
    are injected by tests."""

    setup: MockSetup | None = None
    autostart: bool = False
    clock: Clock | None = None
    now: Callable[[], datetime] | None = None
    report: str | None = None
    resume: str | None = None

    def screen(self) -> Screen[None]:
        from quizapp.tui.screens.mock.setup import MockSetupScreen

        return MockSetupScreen(
            setup=self.setup,
            autostart=self.autostart,
            clock=self.clock,
            now=self.now,
            report=self.report,
            resume=self.resume,
        )


@dataclass
class StartExercises(Message):
    """The exercise list; `exercise` opens that one at once. `root` (or a ready `catalogue`)
    replaces the shipped exercises in tests."""

    root: Path | None = None
    catalogue: Catalogue | None = None
    exercise: str | None = None

    def screen(self) -> Screen[None]:
        from quizapp.tui.screens.exercises.listing import ExerciseListScreen

        return ExerciseListScreen(root=self.root, catalogue=self.catalogue, exercise=self.exercise)


@dataclass
class StartStats(Message):
    """The stats. `now`, `tz` and `exercises` (the catalogue as (id, title)) are injected by
    tests."""

    now: Callable[[], datetime] | None = None
    tz: tzinfo | None = None
    exercises: Sequence[tuple[str, str]] | None = None

    def screen(self) -> Screen[None]:
        from quizapp.tui.screens.stats.screen import StatsScreen

        return StatsScreen(now=self.now, tz=self.tz, exercises=self.exercises)


@dataclass
class StartLoop(Message):
    """An interview loop: `plan` with `autostart` starts one at once; `resume` continues an
    unfinished one; neither: the loop's entry screen. `clock` is injected by tests."""

    plan: LoopPlan | None = None
    autostart: bool = False
    resume: str | None = None
    clock: Clock | None = None

    def screen(self) -> Screen[None]:
        from quizapp.tui.screens.interview_loop.entry import LoopEntryScreen

        return LoopEntryScreen(
            plan=self.plan, resume=self.resume, autostart=self.autostart, clock=self.clock
        )


StartMessage = StartDrill | StartMock | StartExercises | StartStats | StartLoop
