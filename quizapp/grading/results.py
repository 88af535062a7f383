"""What grading produces, shared by the runner (parent), the checker (child) and storage.

Plain dataclasses (the checker builds them by the dozen, the TUI imports this); their JSON
form is declared on the fields and made by pydantic (core.json_contract), and it is a contract
that other tools read (`quizapp schema check` prints it): `{"exercise", "status", "score",
"max_score", "duration_s", "message", "checks": [{"name", "status", "message", "measured",
"threshold", "direction"}], "env": {"torch", "engine", "threads"}}`. What is not part of it
(a check's points, the learner's output, a cancel) is excluded on the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, with_config

from quizapp.core.json_contract import CONTRACT, json_document

Status = Literal["pass", "fail", "error", "timeout"]
# A check that was not run (its prerequisite failed, or grading stopped before it) is "skip";
# a soft check below its target is "warn" and never fails the exercise.
CheckStatus = Literal["pass", "fail", "error", "skip", "warn"]
Measured = float | int | str | None
Direction = Literal["higher", "lower"]

STATUSES: tuple[Status, ...] = ("pass", "fail", "error", "timeout")
CHECK_STATUSES: tuple[CheckStatus, ...] = ("pass", "fail", "error", "skip", "warn")
DIRECTIONS: tuple[Direction, ...] = ("higher", "lower")


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


# The JSON's figures: a whole score as an int (10, not 10.0), seconds to 1/100.
Points = Annotated[float, PlainSerializer(_number, return_type=float | int)]
Seconds = Annotated[float, PlainSerializer(lambda value: round(value, 2), return_type=float)]
NotInJson = Field(exclude=True)


@with_config(CONTRACT)
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
    score: Annotated[float, NotInJson] = 0.0
    max_score: Annotated[float, NotInJson] = 0.0
    direction: Direction | None = None

    def to_json(self) -> dict[str, Any]:
        return json_document(self)

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
            status=status if status in CHECK_STATUSES else "error",
            message=str(data.get("message") or ""),
            measured=measured,
            threshold=None if threshold is None else str(threshold),
            score=float(data.get("score") or 0.0),
            max_score=float(data.get("max_score") or 0.0),
            direction=direction if direction in DIRECTIONS else None,
        )


@with_config(CONTRACT)
@dataclass(frozen=True)
class Env:
    torch: str | None = None
    engine: str | None = None
    threads: int | None = None


@with_config(CONTRACT)
@dataclass(frozen=True)
class GradeResult:
    """One grade of a learner's file: the `quizapp check --json` object, also stored."""

    exercise: str
    status: Status
    score: Points
    max_score: Points
    duration_s: Seconds
    message: str
    checks: tuple[CheckResult, ...] = ()
    env: Env = field(default_factory=Env)
    # Not part of the JSON: what the learner's code printed (bounded), and whether the run was
    # cancelled by the user (a cancelled run is not a grade and is not stored).
    output: Annotated[str, NotInJson] = ""
    output_truncated: Annotated[bool, NotInJson] = False
    cancelled: Annotated[bool, NotInJson] = False

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_json(self) -> dict[str, Any]:
        """The `quizapp check --json` object (also what storage keeps)."""
        return json_document(self)

    def with_(self, **changes: Any) -> GradeResult:
        return replace(self, **changes)


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
