"""Figures over mocks, interview loops and coding exercises: the mock trend, the loops' two
scores, and each exercise's summary with its best measured figures."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic.dataclasses import dataclass

from quizapp.core.json_contract import CONTRACT, IsoDatetime, Round1, json_document
from quizapp.core.stats.inputs import ExerciseAttempt


@dataclass(frozen=True, config=CONTRACT)
class MockTrend:
    count: int
    percents: tuple[Round1, ...]  # oldest first
    last: Round1 | None
    best: Round1 | None
    change: Round1 | None  # points: the last k mocks' mean minus the k before (k <= 3)

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


def mock_trend(mocks: Sequence[Mapping[str, Any]]) -> MockTrend:
    percents = tuple(
        100.0 * (m["score"] or 0) / m["max_score"] if m.get("max_score") else 0.0 for m in mocks
    )
    change = None
    k = min(3, len(percents) // 2)
    if k:
        change = sum(percents[-k:]) / k - sum(percents[-2 * k : -k]) / k
    return MockTrend(
        count=len(percents),
        percents=percents,
        last=percents[-1] if percents else None,
        best=max(percents) if percents else None,
        change=change,
    )


@dataclass(frozen=True, config=CONTRACT)
class LoopTrend:
    """Finished interview loops: the concept round's percent and the coding round's pass."""

    count: int
    concept_percents: tuple[Round1, ...]  # oldest first
    coding_passed: tuple[bool, ...]  # oldest first
    last_concepts: Round1 | None
    best_concepts: Round1 | None

    @property
    def passed(self) -> int:
        return sum(self.coding_passed)


def loop_trend(loops: Sequence[Mapping[str, Any]]) -> LoopTrend:
    """`loops`: storage.interview_loops.loops_for_stats rows, oldest first."""
    percents = tuple(
        100.0 * (row["concept_score"] or 0) / row["concept_max"] if row.get("concept_max") else 0.0
        for row in loops
    )
    return LoopTrend(
        count=len(percents),
        concept_percents=percents,
        coding_passed=tuple(bool(row.get("coding_passed")) for row in loops),
        last_concepts=percents[-1] if percents else None,
        best_concepts=max(percents) if percents else None,
    )


@dataclass(frozen=True, config=CONTRACT)
class BestFigure:
    check: str
    measured: int | float  # as the check measured it (an int stays one)
    threshold: str

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


@dataclass(frozen=True, config=CONTRACT)
class ExerciseSummary:
    id: str
    title: str
    status: str  # passed | new | the last result's status
    attempts: int
    passed: bool
    best_score: float | None
    max_score: float | None
    passed_at: IsoDatetime | None  # the first pass
    best: tuple[BestFigure, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


# A check's `direction` (see quizapp.grading.results.CheckResult) as the sign of "better".
BETTER_SIGN = {"higher": 1, "lower": -1}


def best_figures(attempts: Iterable[ExerciseAttempt]) -> tuple[BestFigure, ...]:
    """Per check of the passing attempts, the best numeric figure it measured (the check's
    direction says which way is better), in the order the checks ran."""
    best: dict[str, BestFigure] = {}
    for attempt in attempts:
        if attempt.status != "pass":
            continue
        for check in attempt.checks:
            measured = check.get("measured")
            direction = BETTER_SIGN.get(str(check.get("direction")), 0)
            if isinstance(measured, bool) or not isinstance(measured, (int, float)):
                continue
            if not direction or not math.isfinite(measured):
                continue
            name = str(check.get("name"))
            held = best.get(name)
            if held is None or (measured - held.measured) * direction > 0:
                best[name] = BestFigure(name, measured, str(check.get("threshold")))
    return tuple(best.values())


def exercise_summaries(
    catalogue: Sequence[tuple[str, str]], attempts: Sequence[ExerciseAttempt]
) -> list[ExerciseSummary]:
    """Every exercise of the catalogue (and any other with results), in catalogue order."""
    by_exercise: dict[str, list[ExerciseAttempt]] = {}
    for attempt in sorted(attempts, key=lambda a: a.finished_at):
        by_exercise.setdefault(attempt.exercise, []).append(attempt)
    titles = dict(catalogue)
    ids = list(titles) + sorted(set(by_exercise) - set(titles))
    found = []
    for exercise in ids:
        mine = by_exercise.get(exercise, [])
        passes = [a for a in mine if a.status == "pass"]
        top = max(mine, key=lambda a: a.score, default=None)
        found.append(
            ExerciseSummary(
                id=exercise,
                title=titles.get(exercise, exercise),
                attempts=len(mine),
                passed=bool(passes),
                status="passed" if passes else (mine[-1].status if mine else "new"),
                best_score=top.score if top else None,
                max_score=top.max_score if top else None,
                passed_at=passes[0].finished_at if passes else None,
                best=best_figures(passes),
            )
        )
    return found
