"""The coding round of an interview loop: one exercise against its own clock.

The rules, as a real coding interview runs:
- the clock runs from `start()`; grading costs clock time, as running code does in an
  interview (the clock does not stop while a grade runs);
- hints may be shown, one tier at a time, and each one is counted for the report;
- grades may be run any time the clock runs, each one counted; a grade started before the
  time ran out finishes and counts;
- at time-out or submit the round closes: the last saved code is the final answer. If a grade
  already finished on exactly that code (same content hash), it is the final grade; otherwise
  the caller runs one more grade, marked final;
- the reference solution's diff opens only when the round is over;
- a round left mid-way (app killed, lid closed) resumes with the time it had left; a grade
  that was running when the app died is counted as run, with no result.

Time is accounted like a mock's: every second from `start()` until the close is the round's,
`elapsed` is saved, the time away from the app is not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Clock = Callable[[], float]
RoundStatus = Literal["ready", "running", "closing", "finished"]
EPSILON = 1e-6


class CodingRoundError(RuntimeError):
    """An action the round's rules do not allow now (a grade after the close...)."""


@dataclass(frozen=True)
class GradeRecord:
    """One grade run during the round. `outcome` is the grader's summary, as the caller gives
    it (it must hold `passed`); the round only reads `passed`."""

    code_sha: str
    started_s: float  # on the round's clock
    finished_s: float | None = None
    outcome: dict[str, Any] | None = None
    final: bool = False
    interrupted: bool = False  # the app died while it ran: counted, no result
    by_learner: bool = True  # False: the grade of the final answer that the close added

    @property
    def in_flight(self) -> bool:
        return self.finished_s is None and not self.interrupted

    @property
    def passed(self) -> bool:
        return bool(self.outcome and self.outcome.get("passed"))


class CodingRound:
    def __init__(
        self,
        exercise_id: str,
        time_limit_s: float,
        clock: Clock = time.monotonic,
        *,
        hint_count: int = 0,
        elapsed_s: float = 0.0,
        hints_shown: int = 0,
        grades: tuple[GradeRecord, ...] = (),
        status: RoundStatus = "ready",
        ended_by: str | None = None,
        interruptions: int = 0,
    ) -> None:
        if time_limit_s <= 0:
            raise CodingRoundError("the coding round needs a time limit greater than 0")
        self.exercise_id = exercise_id
        self.time_limit_s = float(time_limit_s)
        self.hint_count = hint_count  # how many hint tiers the exercise has
        self.elapsed_s = float(elapsed_s)
        self.hints_shown = hints_shown
        self.grades: list[GradeRecord] = list(grades)
        self.status: RoundStatus = status
        self.ended_by = ended_by  # "time" | "submit" once closed
        self.interruptions = interruptions
        self._clock = clock
        self._checkpoint = clock()
        if self.status == "running" and self.elapsed_s >= self.time_limit_s - EPSILON:
            self._close("time")  # a saved round whose time had run out closes when opened

    # the clock ---------------------------------------------------------------------------

    @property
    def remaining_s(self) -> float:
        return max(self.time_limit_s - self.elapsed_s, 0.0)

    def start(self) -> None:
        """The round's clock starts now (the time before, reading the set-up, is not its)."""
        if self.status != "ready":
            raise CodingRoundError("the coding round has already started")
        self.status = "running"
        self._checkpoint = self._clock()

    def tick(self) -> bool:
        """Count the time since the last tick; True when this tick closed the round."""
        if self.status != "running":
            return False
        now = self._clock()
        self.elapsed_s = min(self.elapsed_s + max(now - self._checkpoint, 0.0), self.time_limit_s)
        self._checkpoint = now
        if self.time_limit_s - self.elapsed_s <= EPSILON:
            self.elapsed_s = self.time_limit_s
            self._close("time")
            return True
        return False

    def submit(self) -> None:
        """The learner hands in early: the round closes, the last saved code is final."""
        self._require_running("submit")
        self.tick()
        if self.status == "running":
            self._close("submit")

    def _close(self, reason: str) -> None:
        self.ended_by = reason
        self.status = "closing"

    def resumed(self) -> None:
        """A saved round opened again: the time away is not counted; a grade that was running
        when the app died is counted as run, with no result."""
        self.interruptions += 1
        self.grades = [replace(g, interrupted=True) if g.in_flight else g for g in self.grades]
        self._checkpoint = self._clock()
        self.tick()

    def _require_running(self, action: str) -> None:
        self.tick()
        if self.status == "ready":
            raise CodingRoundError(f"start the coding round before you {action}")
        if self.status != "running":
            raise CodingRoundError(f"the coding round is over: no more {action}")

    # hints -------------------------------------------------------------------------------

    def show_hint(self) -> int:
        """Reveal the next hint tier; returns its index (0-based). Counted in the report."""
        self._require_running("hints")
        if self.hints_shown >= self.hint_count:
            raise CodingRoundError("every hint is already shown")
        self.hints_shown += 1
        return self.hints_shown - 1

    # grades ------------------------------------------------------------------------------

    def in_flight(self) -> list[int]:
        return [i for i, g in enumerate(self.grades) if g.in_flight]

    def begin_grade(self, code_sha: str) -> int:
        """A grade the learner asked for; returns its index for `end_grade`."""
        self._require_running("grades")
        if self.in_flight():
            raise CodingRoundError("a grade is already running: wait for its result")
        self.grades.append(GradeRecord(code_sha=code_sha, started_s=self.elapsed_s))
        return len(self.grades) - 1

    def end_grade(self, index: int, outcome: Mapping[str, Any]) -> None:
        """A grade's result. A grade started before the close still counts after it."""
        self.tick()
        record = self.grades[index]
        if not record.in_flight:
            raise CodingRoundError(f"grade {index + 1} already has its result")
        if "passed" not in outcome:
            raise ValueError("a grade's outcome must say whether it passed ('passed')")
        self.grades[index] = replace(record, finished_s=self.elapsed_s, outcome=dict(outcome))
        if record.final:
            self.status = "finished"

    def final_grade_needed(self, code_sha: str) -> bool:
        """After the close, with the last saved code's hash: True when one more grade must run
        (marked final, via `begin_final_grade`); False when the round is settled, a grade on
        exactly that code having already finished (it becomes the final one)."""
        if self.status == "finished":
            return False
        if self.status != "closing":
            raise CodingRoundError("the final answer is graded once the round is over")
        if self.in_flight():
            return False  # wait: it finishes and counts, then ask again
        for index in range(len(self.grades) - 1, -1, -1):
            record = self.grades[index]
            if record.outcome is not None:
                if record.code_sha == code_sha:
                    self.grades[index] = replace(record, final=True)
                    self.status = "finished"
                    return False
                break
        return True

    def begin_final_grade(self, code_sha: str) -> int:
        if self.status != "closing" or self.in_flight():
            raise CodingRoundError("the final grade runs once the round is over and idle")
        self.grades.append(
            GradeRecord(code_sha=code_sha, started_s=self.elapsed_s, final=True, by_learner=False)
        )
        return len(self.grades) - 1

    @property
    def final(self) -> GradeRecord | None:
        return next((g for g in self.grades if g.final and g.outcome is not None), None)

    @property
    def grades_run(self) -> int:
        """Grades the learner asked for (not the final one the close added)."""
        return sum(1 for g in self.grades if g.by_learner)

    @property
    def solution_allowed(self) -> bool:
        return self.status == "finished"

    # saving ------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        self.tick()
        return {
            "exercise_id": self.exercise_id,
            "time_limit_s": self.time_limit_s,
            "hint_count": self.hint_count,
            "elapsed_s": self.elapsed_s,
            "hints_shown": self.hints_shown,
            "grades": [asdict(g) for g in self.grades],
            "status": self.status,
            "ended_by": self.ended_by,
            "interruptions": self.interruptions,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], clock: Clock = time.monotonic) -> CodingRound:
        return cls(
            state["exercise_id"],
            state["time_limit_s"],
            clock,
            hint_count=state.get("hint_count", 0),
            elapsed_s=state.get("elapsed_s", 0.0),
            hints_shown=state.get("hints_shown", 0),
            grades=tuple(GradeRecord(**g) for g in state.get("grades", ())),
            status=state.get("status", "ready"),
            ended_by=state.get("ended_by"),
            interruptions=state.get("interruptions", 0),
        )
