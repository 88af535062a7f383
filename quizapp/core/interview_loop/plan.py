"""What a loop asks for, and which exercise its coding round draws.

A coding round is only fair when grading fits in it: an exercise is drawn only if its
reference grade takes at most a fifth of the round (a learner should be able to grade several
times), preferring exercises the learner has not passed yet; once every one that fits is
passed, any that fits may come.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_CONCEPTS = 8
DEFAULT_CONCEPT_MINUTES = 15.0
DEFAULT_CODING_MINUTES = 30.0
GRADE_SHARE_OF_ROUND = 0.2  # a reference grade may take at most this share of the round
RANDOM = "random"


class LoopSetupError(ValueError):
    """The loop asks for something impossible (minutes <= 0, an unknown exercise...)."""


def _positive_minutes(name: str, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise LoopSetupError(f"{name}: must be a number of minutes greater than 0, not {value:g}")
    return float(value)


@dataclass(frozen=True)
class LoopPlan:
    """A loop's set-up as asked (`coding` is an exercise id or "random")."""

    concepts: int = DEFAULT_CONCEPTS
    concept_minutes: float = DEFAULT_CONCEPT_MINUTES
    coding: str = RANDOM
    coding_minutes: float = DEFAULT_CODING_MINUTES
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.concepts < 1:
            raise LoopSetupError(f"--concepts: must be at least 1, not {self.concepts}")
        _positive_minutes("--concept-minutes", self.concept_minutes)
        _positive_minutes("--coding-minutes", self.coding_minutes)

    @property
    def concept_limit_s(self) -> float:
        return self.concept_minutes * 60.0

    @property
    def coding_limit_s(self) -> float:
        return self.coding_minutes * 60.0


@dataclass(frozen=True)
class ExerciseOption:
    """What the draw needs to know of an exercise (the caller reads the catalogue)."""

    id: str
    title: str
    reference_grade_s: float  # how long grading the reference solution takes
    passed: bool = False

    def fits(self, round_s: float) -> bool:
        return self.reference_grade_s <= GRADE_SHARE_OF_ROUND * round_s


def choose_exercise(
    options: Sequence[ExerciseOption], plan: LoopPlan, rng: random.Random
) -> ExerciseOption:
    """The coding round's exercise: the one asked for, or a fair random draw."""
    if not options:
        raise LoopSetupError("no exercises are installed: the coding round has nothing to draw")
    if plan.coding != RANDOM:
        for option in options:
            if option.id == plan.coding:
                return option
        known = ", ".join(sorted(o.id for o in options))
        raise LoopSetupError(f"--coding: no exercise {plan.coding!r} (known: {known}, or random)")
    fitting = [o for o in options if o.fits(plan.coding_limit_s)]
    if not fitting:
        quickest = min(options, key=lambda o: o.reference_grade_s)
        needed = math.ceil(quickest.reference_grade_s / GRADE_SHARE_OF_ROUND / 60.0)
        raise LoopSetupError(
            f"--coding-minutes: no exercise grades in a fifth of {plan.coding_minutes:g} "
            f"minutes; give the round at least {needed} minutes"
        )
    unpassed = [o for o in fitting if not o.passed]
    pool = sorted(unpassed or fitting, key=lambda o: o.id)
    return rng.choice(pool)
