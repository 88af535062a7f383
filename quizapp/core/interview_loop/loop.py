"""One interview loop: the concept round, then the coding round, back to back.

The concept round is a mock (`core.mock.MockRun`: no feedback, its own clock, auto-end). The
coding round follows at once, as in a real loop; answers of the concept round that the learner
grades themselves (free answers) are judged at the end, before the report, so judging does not
eat into the interview. Phases, in order:

    concepts -> break -> coding -> final-grade -> judging -> done

`break` is the pause before the coding round's clock starts (the learner reads the task);
`final-grade` waits for the grade of the final answer (or for one still running);
`judging` only appears when the concept round has free answers to judge.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, Literal

from quizapp.core.interview_loop.coding_round import Clock, CodingRound
from quizapp.core.interview_loop.plan import LoopPlan
from quizapp.core.mock.run import MockRun

LoopPhase = Literal["concepts", "break", "coding", "final-grade", "judging", "done"]


class InterviewLoop:
    def __init__(self, plan: LoopPlan, concepts: MockRun, coding: CodingRound) -> None:
        self.plan = plan
        self.concepts = concepts
        self.coding = coding

    @classmethod
    def new(
        cls,
        plan: LoopPlan,
        concepts: MockRun,
        exercise_id: str,
        hint_count: int,
        clock: Clock = time.monotonic,
    ) -> InterviewLoop:
        coding = CodingRound(exercise_id, plan.coding_limit_s, clock, hint_count=hint_count)
        return cls(plan, concepts, coding)

    @property
    def phase(self) -> LoopPhase:
        if self.concepts.status == "running":
            return "concepts"
        if self.coding.status == "ready":
            return "break"
        if self.coding.status == "running":
            return "coding"
        if self.coding.status == "closing":
            return "final-grade"
        if self.concepts.status == "grading":
            return "judging"
        return "done"

    def tick(self) -> bool:
        """Advance the running round's clock; True when that round just ended."""
        phase = self.phase
        if phase == "concepts":
            return self.concepts.tick().ended
        if phase == "coding":
            return self.coding.tick()
        return False

    def suspend(self) -> None:
        """Account the time up to now (before saving, or when the app closes)."""
        self.tick()

    def resumed(self) -> None:
        """A saved loop opened again: the round that was running continues with its time."""
        phase = self.phase
        if phase == "concepts":
            self.concepts.resumed()
        elif phase in ("coding", "final-grade"):
            self.coding.resumed()

    @property
    def remaining_s(self) -> float:
        """What the header's countdown shows: the running round's time left."""
        if self.phase == "concepts":
            return self.concepts.remaining
        return self.coding.remaining_s

    # saving ------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        self.suspend()
        return {
            "plan": asdict(self.plan),
            "concepts": self.concepts.to_state(),
            "coding": self.coding.to_state(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], clock: Clock = time.monotonic) -> InterviewLoop:
        return cls(
            LoopPlan(**state["plan"]),
            MockRun.from_state(state["concepts"], clock),
            CodingRound.from_state(state["coding"], clock),
        )
