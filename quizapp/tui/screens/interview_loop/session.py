"""One open interview loop and the screen its phase needs.

Every screen of the loop holds the same `LoopSession`; when a round ends, the screen asks
`next_screen()` where the learner goes now, so the order of the rounds lives in the core's
phases (`core.interview_loop.loop`), not in the screens.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from textual.screen import Screen

from quizapp.core.interview_loop import ExerciseOption, InterviewLoop, LoopPlan, choose_exercise
from quizapp.core.interview_loop.coding_round import Clock
from quizapp.core.mock.draw import MockSetup, draw_questions
from quizapp.core.mock.run import MockRun
from quizapp.core.models import Deck
from quizapp.grading.catalogue import Catalogue, Exercise
from quizapp.storage.db import Database, utc_now
from quizapp.storage.exercises import statuses
from quizapp.storage.interview_loops import create_loop, finish_loop, load_loop, save_loop
from quizapp.storage.mocks import miss_stats

RESUME_HINT = "l on the home screen (or `quizapp interview --resume`) brings it back"


@dataclass
class LoopSession:
    loop_id: str
    loop: InterviewLoop
    exercise: Exercise
    catalogue: Catalogue
    deck_titles: dict[str, str] = field(default_factory=dict)
    clock: Clock = time.monotonic
    now: Callable[[], datetime] = utc_now

    @classmethod
    def start(
        cls,
        db: Database,
        decks: Sequence[Deck],
        catalogue: Catalogue,
        plan: LoopPlan,
        clock: Clock = time.monotonic,
    ) -> LoopSession:
        """A new loop, stored: the concept questions drawn as a mock draws them (weighted to
        the learner's misses), the exercise drawn fairly (`choose_exercise`). Raises
        LoopSetupError / MockSetupError for what the decks or exercises cannot give."""
        seed = plan.seed if plan.seed is not None else random.randrange(2**31)
        plan = replace(plan, seed=seed)
        option = choose_exercise(exercise_options(db, catalogue), plan, random.Random(seed))
        exercise = catalogue.get(option.id)
        setup = MockSetup(minutes=plan.concept_minutes, questions=plan.concepts, seed=seed)
        questions = draw_questions(decks, setup, miss_stats(db))
        concepts = MockRun(questions, plan.concept_limit_s, clock=clock)
        loop = InterviewLoop.new(plan, concepts, exercise.id, len(exercise.hints), clock)
        loop_id = create_loop(db, loop)
        return cls(loop_id, loop, exercise, catalogue, _titles(decks), clock)

    @classmethod
    def resume(
        cls,
        db: Database,
        loop_id: str,
        decks: Sequence[Deck],
        catalogue: Catalogue,
        clock: Clock = time.monotonic,
    ) -> LoopSession:
        """A saved loop opened again: the round that was running goes on with its time."""
        stored = load_loop(db, loop_id, clock)
        stored.loop.resumed()
        exercise = catalogue.get(stored.loop.coding.exercise_id)
        session = cls(loop_id, stored.loop, exercise, catalogue, _titles(decks), clock)
        session.save(db)
        return session

    def save(self, db: Database) -> None:
        save_loop(db, self.loop_id, self.loop)

    def next_screen(self, db: Database) -> Screen[None]:
        """The screen for the loop's phase now (the report once it is done)."""
        from quizapp.tui.screens.interview_loop.coding import LoopCodingScreen
        from quizapp.tui.screens.interview_loop.concepts import LoopConceptScreen
        from quizapp.tui.screens.interview_loop.intermission import LoopBreakScreen
        from quizapp.tui.screens.interview_loop.judging import LoopJudgeScreen
        from quizapp.tui.screens.interview_loop.report import LoopReportScreen

        phase = self.loop.phase
        if phase == "concepts":
            return LoopConceptScreen(self)
        if phase == "break":
            return LoopBreakScreen(self)
        if phase in ("coding", "final-grade"):
            return LoopCodingScreen(self)
        if phase == "judging":
            return LoopJudgeScreen(self)
        finish_loop(db, self.loop_id, self.loop, self.now())
        return LoopReportScreen(self.loop_id, self.exercise.title, self.deck_titles)


def _titles(decks: Sequence[Deck]) -> dict[str, str]:
    return {deck.deck: deck.title for deck in decks}


def exercise_options(db: Database, catalogue: Catalogue) -> list[ExerciseOption]:
    """Every installed exercise with its reference grade time and whether it is passed."""
    known = statuses(db)
    return [
        ExerciseOption(
            e.id,
            e.title,
            e.reference_grade_s,
            passed=e.id in known and known[e.id].passed,
        )
        for e in catalogue.exercises
    ]
