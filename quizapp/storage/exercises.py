"""Exercise results and progress in SQLite (tables `exercise_results`, `exercise_progress`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from quizapp.storage.db import Database, from_db_time, to_db_time, utc_now


@dataclass(frozen=True)
class ExerciseStatus:
    """One exercise as the learner's list shows it."""

    exercise: str
    attempts: int
    passed: bool
    best_score: float | None
    max_score: float | None
    last_status: str | None
    last_at: datetime | None
    hints_shown: int = 0
    solution_viewed: bool = False

    @property
    def label(self) -> str:
        """new | passed | fail | error | timeout (the last result when never passed)."""
        if self.passed:
            return "passed"
        return self.last_status or "new"


def record_result(db: Database, result: dict[str, Any], finished_at: datetime | None = None) -> int:
    """Store one grading result (`GradeResult`, the `check --json` object); returns its row id."""
    with db.transaction() as conn:
        cursor = conn.execute(
            "INSERT INTO exercise_results "
            "(exercise, finished_at, status, score, max_score, duration_s, result) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                result["exercise"],
                to_db_time(finished_at or utc_now()),
                result["status"],
                float(result["score"]),
                float(result["max_score"]),
                float(result["duration_s"]),
                json.dumps(result, ensure_ascii=False),
            ),
        )
        return int(cursor.lastrowid or 0)


def results(db: Database, exercise: str, limit: int = 20) -> list[dict[str, Any]]:
    """The latest results of one exercise, newest first, each with its `finished_at`."""
    rows = db.query(
        "SELECT finished_at, result FROM exercise_results WHERE exercise = ? "
        "ORDER BY finished_at DESC, id DESC LIMIT ?",
        (exercise, limit),
    )
    return [{**json.loads(r["result"]), "finished_at": r["finished_at"]} for r in rows]


def statuses(db: Database) -> dict[str, ExerciseStatus]:
    """Every exercise that has a result or progress, by id."""
    rows = db.query(
        """
        SELECT r.exercise,
               COUNT(*) AS attempts,
               MAX(r.status = 'pass') AS passed,
               MAX(r.score) AS best_score,
               (SELECT max_score FROM exercise_results b WHERE b.exercise = r.exercise
                ORDER BY b.score DESC, b.finished_at DESC LIMIT 1) AS max_score,
               (SELECT status FROM exercise_results l WHERE l.exercise = r.exercise
                ORDER BY l.finished_at DESC, l.id DESC LIMIT 1) AS last_status,
               MAX(r.finished_at) AS last_at
        FROM exercise_results r GROUP BY r.exercise
        """
    )
    progress = {
        r["exercise"]: r
        for r in db.query("SELECT exercise, hints_shown, solution_viewed FROM exercise_progress")
    }
    found: dict[str, ExerciseStatus] = {}
    for row in rows:
        extra = progress.get(row["exercise"])
        found[row["exercise"]] = ExerciseStatus(
            exercise=row["exercise"],
            attempts=row["attempts"],
            passed=bool(row["passed"]),
            best_score=row["best_score"],
            max_score=row["max_score"],
            last_status=row["last_status"],
            last_at=from_db_time(row["last_at"]),
            hints_shown=extra["hints_shown"] if extra else 0,
            solution_viewed=bool(extra["solution_viewed"]) if extra else False,
        )
    for exercise, extra in progress.items():
        if exercise not in found:
            found[exercise] = ExerciseStatus(
                exercise=exercise,
                attempts=0,
                passed=False,
                best_score=None,
                max_score=None,
                last_status=None,
                last_at=None,
                hints_shown=extra["hints_shown"],
                solution_viewed=bool(extra["solution_viewed"]),
            )
    return found


def status(db: Database, exercise: str) -> ExerciseStatus:
    return statuses(db).get(exercise) or ExerciseStatus(exercise, 0, False, None, None, None, None)


def next_unsolved(
    exercise_ids: Sequence[str], known: dict[str, ExerciseStatus], after: str | None = None
) -> str | None:
    """The first of `exercise_ids` (the catalogue's order) not passed, after `after` and
    wrapping round; `known` is `statuses()`. None when every other one is passed."""
    start = 0
    if after is not None and after in exercise_ids:
        start = list(exercise_ids).index(after) + 1
    for exercise_id in [*exercise_ids[start:], *exercise_ids[:start]]:
        found = known.get(exercise_id)
        if exercise_id != after and not (found and found.passed):
            return exercise_id
    return None


def set_hints_shown(db: Database, exercise: str, count: int) -> None:
    """Remember how many hint tiers the learner has seen (never goes down)."""
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO exercise_progress (exercise, hints_shown) VALUES (?, ?) "
            "ON CONFLICT (exercise) DO UPDATE SET "
            "hints_shown = MAX(hints_shown, excluded.hints_shown)",
            (exercise, count),
        )


def mark_solution_viewed(db: Database, exercise: str) -> None:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO exercise_progress (exercise, solution_viewed) VALUES (?, 1) "
            "ON CONFLICT (exercise) DO UPDATE SET solution_viewed = 1",
            (exercise,),
        )


GRADE_MEMORY_KEY = "grade-memory"
DEFAULT_GRADE_MEMORY_GIB = 4.0


def get_grade_memory_gib(db: Database) -> float:
    """The resident memory a grade's learner process may use (`quizapp config grade-memory`)."""
    text = db.get_config(GRADE_MEMORY_KEY)
    try:
        value = float(text) if text else DEFAULT_GRADE_MEMORY_GIB
    except ValueError:
        return DEFAULT_GRADE_MEMORY_GIB
    return value if value > 0 else DEFAULT_GRADE_MEMORY_GIB


def set_grade_memory_gib(db: Database, value: float | None) -> None:
    if value is not None and not 0.5 <= value <= 1024:
        raise ValueError("the grade memory limit is between 0.5 and 1024 GiB")
    db.set_config(GRADE_MEMORY_KEY, None if value is None else f"{value:g}")


def stored_grade_memory_gib() -> float:
    """The setting, read without creating a database where there is none yet."""
    from quizapp.storage.locations import locations

    if not locations().database.exists():
        return DEFAULT_GRADE_MEMORY_GIB
    try:
        with Database() as db:
            return get_grade_memory_gib(db)
    except Exception:  # noqa: BLE001 - a database problem is reported elsewhere; grade anyway
        return DEFAULT_GRADE_MEMORY_GIB
