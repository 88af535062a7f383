"""The interview loop: a concept round (a mock) and a timed coding round, one report.

Plain Python (no Textual, no torch, no grader): the rounds, their clocks and what is allowed
when live here with an injected clock, so tests drive a whole loop without sleeping; the
screens render it, and the grader is whoever calls `CodingRound.end_grade`.

Not to be confused with the interview *date* (`core.interview_pacing`): that one paces the
drill towards a day; this one is a practice interview.
"""

from quizapp.core.interview_loop.coding_round import CodingRound, CodingRoundError, GradeRecord
from quizapp.core.interview_loop.loop import InterviewLoop, LoopPhase
from quizapp.core.interview_loop.plan import (
    DEFAULT_CODING_MINUTES,
    DEFAULT_CONCEPT_MINUTES,
    DEFAULT_CONCEPTS,
    ExerciseOption,
    LoopPlan,
    LoopSetupError,
    choose_exercise,
)
from quizapp.core.interview_loop.report import (
    AreaVerdict,
    LoopReport,
    area_verdicts,
    build_loop_report,
)

__all__ = [
    "DEFAULT_CODING_MINUTES",
    "DEFAULT_CONCEPTS",
    "DEFAULT_CONCEPT_MINUTES",
    "AreaVerdict",
    "CodingRound",
    "CodingRoundError",
    "ExerciseOption",
    "GradeRecord",
    "InterviewLoop",
    "LoopPhase",
    "LoopPlan",
    "LoopReport",
    "LoopSetupError",
    "area_verdicts",
    "build_loop_report",
    "choose_exercise",
]
