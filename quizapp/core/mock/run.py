"""One mock against the clock.

Plain Python (no textual, no torch). Time comes from an injected `clock` (monotonic seconds), so
tests drive a whole mock without sleeping. Every second of the clock is attributed to the
question on screen, so `elapsed == sum(time_spent)` always holds and a saved state resumes with
exactly the remaining time.

Timing rules (the honest version of a real interview):
- the total limit ends the mock by itself; what was answered counts, blanks are missed;
- a per-question limit moves on to the next question once, when it first runs out; the learner
  may go back (answers stay editable until the end) and the report flags the overrun;
- there is no pause: leaving the mock stops its clock only because the app is no longer
  showing it, and the report says how many times the mock was interrupted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fsrs import Rating

from quizapp.core.mock.draw import MockSetupError
from quizapp.core.mock.scoring import (
    MockStateError,
    VerdictName,
    check_judgment,
    is_blank,
    review_rating,
    score_answer,
)
from quizapp.core.questions import Question
from quizapp.core.time_format import format_countdown

Clock = Callable[[], float]
Status = Literal["running", "grading", "finished"]
EPSILON = 1e-6  # seconds: closer than this to a limit counts as having reached it


@dataclass(frozen=True)
class Tick:
    """What a clock update changed: the question on screen moved on, or the mock ended."""

    moved: bool = False
    ended: bool = False


class MockRun:
    """One mock against the clock. Call `tick()` often (the UI does, ~4 times a second)."""

    def __init__(
        self,
        questions: Sequence[Question],
        time_limit_s: float,
        per_question_s: float | None = None,
        clock: Clock = time.monotonic,
        *,
        responses: Sequence[dict[str, Any] | None] | None = None,
        time_spent: Sequence[float] | None = None,
        judgments: Sequence[dict[str, Any] | None] | None = None,
        current: int = 0,
        status: Status = "running",
        ended_by: str | None = None,
        interruptions: int = 0,
    ) -> None:
        if not questions:
            raise MockSetupError("a mock needs at least one question")
        if time_limit_s <= 0:
            raise MockSetupError("the time limit must be greater than 0")
        n = len(questions)
        self.questions: tuple[Question, ...] = tuple(questions)
        self.time_limit_s = float(time_limit_s)
        self.per_question_s = per_question_s
        self.responses: list[dict[str, Any] | None] = list(responses or [None] * n)
        self.time_spent: list[float] = [float(t) for t in (time_spent or [0.0] * n)]
        self.judgments: list[dict[str, Any] | None] = list(judgments or [None] * n)
        if not (len(self.responses) == len(self.time_spent) == len(self.judgments) == n):
            raise ValueError("responses, time_spent and judgments need one entry per question")
        self.current = min(max(current, 0), n - 1)
        self.status: Status = status
        self.ended_by = ended_by  # "time" | "submit" once the clock has stopped
        self.interruptions = interruptions
        self._clock = clock
        self._checkpoint = clock()
        if self.status == "running" and self.elapsed >= self.time_limit_s:
            self._stop("time")  # a saved mock whose time had run out ends when opened

    # time -------------------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        return sum(self.time_spent)

    @property
    def remaining(self) -> float:
        """Seconds left on the total clock, as of the last tick."""
        return max(self.time_limit_s - self.elapsed, 0.0)

    @property
    def question_remaining(self) -> float | None:
        """Seconds left of the current question's budget (negative: over it), or None."""
        if self.per_question_s is None:
            return None
        return self.per_question_s - self.time_spent[self.current]

    def over_budget(self, position: int) -> bool:
        return self.per_question_s is not None and self.time_spent[position] > self.per_question_s

    def _budget_left(self, position: int) -> float:
        if self.per_question_s is None:
            return math.inf
        left = self.per_question_s - self.time_spent[position]
        # A question whose budget already ran out never moves the learner on again.
        return left if left > 0 else math.inf

    def tick(self) -> Tick:
        """Attribute the time since the last tick; move on or end where a limit ran out.

        Limits act at the moment they ran out, not at the tick that notices it, so the time
        spent on each question is exact whatever the tick rate.
        """
        if self.status != "running":
            return Tick()
        now = self._clock()
        moved = False
        while True:
            span = max(now - self._checkpoint, 0.0)
            total_left = self.time_limit_s - self.elapsed
            question_left = self._budget_left(self.current)
            step = min(span, max(total_left, 0.0), question_left)
            self.time_spent[self.current] += step
            self._checkpoint += step
            # A microsecond of float rounding must not leave the clock one tick from the end.
            if total_left - step <= EPSILON:
                self._stop("time")
                return Tick(moved=moved, ended=True)
            if question_left - step <= EPSILON:
                # Exactly at the budget: float rounding must not leave a sliver to expire again.
                self.time_spent[self.current] = max(
                    self.time_spent[self.current], float(self.per_question_s or 0.0)
                )
                following = self._next_with_budget()
                if following is not None:
                    self.current = following
                    moved = True
                continue
            return Tick(moved=moved)

    def _next_with_budget(self) -> int | None:
        n = len(self.questions)
        for offset in range(1, n):
            position = (self.current + offset) % n
            if self._budget_left(position) < math.inf:
                return position
        return None

    def _require_running(self) -> None:
        if self.status != "running":
            raise MockStateError("the mock's clock has stopped; answers can no longer change")

    # moving and answering ---------------------------------------------------------------------

    def go(self, position: int) -> None:
        self._require_running()
        if not 0 <= position < len(self.questions):
            raise IndexError(position)
        self.tick()
        if self.status == "running":
            self.current = position

    def next(self) -> None:
        self.go((self.current + 1) % len(self.questions))

    def previous(self) -> None:
        self.go((self.current - 1) % len(self.questions))

    def answer(self, response: dict[str, Any] | None, position: int | None = None) -> None:
        """Record (or replace) the answer to a question; blank text clears it."""
        self._require_running()
        self.tick()
        self._require_running()
        position = self.current if position is None else position
        question = self.questions[position]
        self.responses[position] = None if is_blank(question, response) else dict(response or {})

    def answered(self, position: int) -> bool:
        return not is_blank(self.questions[position], self.responses[position])

    @property
    def blank_count(self) -> int:
        return sum(not self.answered(i) for i in range(len(self.questions)))

    def submit(self) -> None:
        self._require_running()
        self.tick()
        if self.status == "running":
            self._stop("submit")

    def suspend(self) -> None:
        """The learner leaves (or the app closes): account the time up to now."""
        self.tick()

    def start_clock(self) -> None:
        """Count from now: the time before (drawing, building the screen) is not the mock's."""
        if self.status == "running":
            self._checkpoint = self._clock()

    def resumed(self) -> None:
        """Called when a saved mock is opened again: the time away is not counted."""
        self.start_clock()
        self.interruptions += 1
        self.tick()

    def _stop(self, reason: str) -> None:
        self.ended_by = reason
        self.status = "grading" if self.pending_judgments() else "finished"

    # grading ----------------------------------------------------------------------------------

    def pending_judgments(self) -> list[int]:
        """Answered self-graded questions not yet judged (blank ones are simply missed)."""
        return [
            i
            for i, q in enumerate(self.questions)
            if q.self_rated and self.answered(i) and self.judgments[i] is None
        ]

    def needs_judgment(self) -> list[int]:
        """Every answered self-graded question (judged or not), in order."""
        return [i for i, q in enumerate(self.questions) if q.self_rated and self.answered(i)]

    def judge(self, position: int, judgment: Mapping[str, Any]) -> None:
        if self.status != "grading":
            raise MockStateError("questions are judged after the clock stops, before the report")
        question = self.questions[position]
        if not self.answered(position):
            raise MockStateError(f"question {position + 1} was left blank: it counts as missed")
        self.judgments[position] = check_judgment(question, judgment)

    def complete(self) -> None:
        """Close grading; every answered self-graded question must have been judged."""
        if self.status == "finished":
            return
        if self.status != "grading":
            raise MockStateError("the mock is still running")
        pending = self.pending_judgments()
        if pending:
            raise MockStateError(
                f"question{'s' * (len(pending) > 1)} {', '.join(str(i + 1) for i in pending)} "
                "still to be judged"
            )
        self.status = "finished"

    def result(self, position: int) -> tuple[VerdictName, float]:
        return score_answer(
            self.questions[position], self.responses[position], self.judgments[position]
        )

    @property
    def score(self) -> float:
        if self.status != "finished":
            raise MockStateError("the score is known once every answer is graded")
        return sum(self.result(i)[1] for i in range(len(self.questions)))

    @property
    def max_score(self) -> float:
        return float(len(self.questions))

    def rating(self, position: int) -> Rating | None:
        """What this answer sends to the review queue (see `review_rating`)."""
        return review_rating(
            self.questions[position], self.result(position)[0], self.judgments[position]
        )

    def misses(self) -> list[int]:
        """Questions missed: they go back into the review queue as Again."""
        return [i for i in range(len(self.questions)) if self.rating(i) == Rating.Again]

    def partly_right(self) -> list[int]:
        """Self-graded answers mostly there: they go back into the review queue as Hard."""
        return [i for i in range(len(self.questions)) if self.rating(i) == Rating.Hard]

    # saving -----------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Everything needed to rebuild the run (JSON-ready)."""
        return {
            "questions": [q.to_dict() for q in self.questions],
            "time_limit_s": self.time_limit_s,
            "per_question_s": self.per_question_s,
            "responses": list(self.responses),
            "time_spent": list(self.time_spent),
            "judgments": list(self.judgments),
            "current": self.current,
            "status": self.status,
            "ended_by": self.ended_by,
            "interruptions": self.interruptions,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], clock: Clock = time.monotonic) -> MockRun:
        """Rebuild a saved run. A running one continues with the time it had left."""
        return cls(
            [Question.from_dict(q) for q in state["questions"]],
            state["time_limit_s"],
            state.get("per_question_s"),
            clock,
            responses=state.get("responses"),
            time_spent=state.get("time_spent"),
            judgments=state.get("judgments"),
            current=state.get("current", 0),
            status=state.get("status", "running"),
            ended_by=state.get("ended_by"),
            interruptions=state.get("interruptions", 0),
        )


def unfinished_summary(mock_id: str, run: MockRun) -> str:
    """Where an unfinished mock stands, in a sentence (the set-up screen, `quizapp mock`)."""
    if run.status == "running":
        answered = len(run.questions) - run.blank_count
        return (
            f"Mock {mock_id} was left unfinished with {format_countdown(run.remaining)} on the "
            f"clock ({answered} of {len(run.questions)} answered)."
        )
    pending = len(run.pending_judgments())
    return (
        f"Mock {mock_id} is over; {pending} of your answers "
        f"{'are' if pending != 1 else 'is'} waiting to be judged before the report."
    )
