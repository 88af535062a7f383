"""What grading produces, shared by the runner (parent), the checker (child) and storage.

Plain Python: the TUI imports this. The JSON form is a contract (other tools read it): these fields, plus each
check's `direction`: `{"exercise", "status", "score", "max_score", "duration_s", "message",
"checks": [{"name", "status", "message", "measured", "threshold", "direction"}], "env":
{"torch", "engine", "threads"}}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

Status = Literal["pass", "fail", "error", "timeout"]
# A check that was not run (its prerequisite failed, or grading stopped before it) is "skip";
# a soft check below its target is "warn" and never fails the exercise.
CheckStatus = Literal["pass", "fail", "error", "skip", "warn"]
Measured = float | int | str | None
Direction = Literal["higher", "lower"]

STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "timeout")
CHECK_STATUSES: tuple[CheckStatus, ...] = ("pass", "fail", "error", "skip", "warn")
DIRECTIONS: tuple[Direction, ...] = ("higher", "lower")


@dataclass(frozen=True)
class CheckResult:
    """One check's result. `measured` is the figure the check measured on the artifacts,
    `threshold` what it needed, as text for people (`"<= 0.30"`, `">= 99%"`, `"8/8"`).

    `direction` says which way a numeric `measured` is better, for checks with a numeric
    threshold: `"higher"` (accuracy, agreement, speedup, SQNR: more is better) or `"lower"`
    (size ratio, accuracy drop, error: less is better); `None` when the figure has no better
    side (a count that must match, a layer type). Readers compare figures with it, never by
    reading the threshold text.
    """

    name: str
    status: CheckStatus
    message: str = ""
    measured: Measured = None
    threshold: str | None = None
    score: float = 0.0
    max_score: float = 0.0
    direction: Direction | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "measured": self.measured,
            "threshold": self.threshold,
            "direction": self.direction,
        }

    def to_wire(self) -> dict[str, Any]:
        """The checker's message form: the JSON plus the points, which the parent needs."""
        return {**self.to_json(), "score": self.score, "max_score": self.max_score}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CheckResult:
        status = data.get("status")
        measured = data.get("measured")
        if not isinstance(measured, (int, float, str)) or isinstance(measured, bool):
            measured = None
        threshold = data.get("threshold")
        direction = data.get("direction")
        return cls(
            name=str(data["name"]),
            status=status if status in CHECK_STATUSES else "error",  # type: ignore[arg-type]
            message=str(data.get("message") or ""),
            measured=measured,
            threshold=None if threshold is None else str(threshold),
            score=float(data.get("score") or 0.0),
            max_score=float(data.get("max_score") or 0.0),
            direction=direction if direction in DIRECTIONS else None,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Env:
    torch: str | None = None
    engine: str | None = None
    threads: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"torch": self.torch, "engine": self.engine, "threads": self.threads}


@dataclass(frozen=True)
class GradeResult:
    exercise: str
    status: Status
    score: float
    max_score: float
    duration_s: float
    message: str
    checks: tuple[CheckResult, ...] = ()
    env: Env = field(default_factory=Env)
    # Not part of the JSON: what the learner's code printed (bounded), and whether the run was
    # cancelled by the user (a cancelled run is not a grade and is not stored).
    output: str = ""
    output_truncated: bool = False
    cancelled: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "status": self.status,
            "score": _number(self.score),
            "max_score": _number(self.max_score),
            "duration_s": round(self.duration_s, 2),
            "message": self.message,
            "checks": [c.to_json() for c in self.checks],
            "env": self.env.to_json(),
        }

    def with_(self, **changes: Any) -> GradeResult:
        return replace(self, **changes)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


def summarize(checks: list[CheckResult] | tuple[CheckResult, ...]) -> tuple[Status, float, float]:
    """The exercise status and score from its checks: any error -> error, a hard failure ->
    fail, otherwise pass. Soft checks carry no points and never fail the exercise."""
    score = sum(c.score for c in checks)
    max_score = sum(c.max_score for c in checks)
    if any(c.status == "error" for c in checks):
        return "error", score, max_score
    if any(c.status in ("fail", "skip") and c.max_score > 0 for c in checks):
        return "fail", score, max_score
    return "pass", score, max_score
