"""A check's `direction`: which way its measured figure is better ("higher" | "lower" | None).

It is declared with the check (`suite.check(..., direction=...)`), carried by every result of
it (the `--json` object and the stored one), and read by whatever compares figures (the best
figures in stats) instead of the threshold text. Results stored before the field existed get
it once, from their threshold, when the database is migrated.
(The --json of a real grade carries it: test_ptq_resnet18.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizapp.core.stats import ExerciseAttempt, best_figures
from quizapp.grading.checks import Suite, passed
from quizapp.grading.results import CheckResult, GradeResult
from quizapp.storage.db import Database
from quizapp.storage.exercises import record_result, results
from quizapp.storage.stats import exercise_attempts


def test_check_results_carry_their_direction_in_json_and_on_the_wire() -> None:
    size = CheckResult("size", "pass", "ok", 0.26, "<= 0.30", 1.0, 1.0, direction="lower")
    assert size.to_json() == {
        "name": "size",
        "status": "pass",
        "message": "ok",
        "measured": 0.26,
        "threshold": "<= 0.30",
        "direction": "lower",
    }
    assert CheckResult.from_wire(size.to_wire()) == size
    layers = CheckResult("layers", "fail", "", "3 of 20", "20 of 20")
    assert layers.to_json()["direction"] is None
    forged = {**size.to_wire(), "direction": "sideways"}
    assert CheckResult.from_wire(forged).direction is None
    grade = GradeResult("x", "pass", 1, 1, 0.5, "", checks=(size, layers))
    assert [c["direction"] for c in grade.to_json()["checks"]] == ["lower", None]


def test_a_check_declares_its_direction() -> None:
    suite = Suite()
    suite.check("size", direction="lower")(lambda ctx: passed("ok", 0.26, "<= 0.30"))
    suite.check("layers")(lambda ctx: passed("ok", 20, "20 of 20"))
    assert [c.direction for c in suite.checks] == ["lower", None]
    with pytest.raises(ValueError, match="direction"):
        suite.check("speed", direction=">=")  # type: ignore[arg-type]


def _attempt(checks: list[dict]) -> ExerciseAttempt:
    from datetime import UTC, datetime

    return ExerciseAttempt("x", datetime(2026, 3, 1, tzinfo=UTC), "pass", 1, 1, checks)


def test_best_figures_follow_the_direction_not_the_threshold_text() -> None:
    def check(measured: float, direction: str | None) -> dict:
        # the threshold text says nothing about which way is better: only `direction` does
        return {"name": "figure", "measured": measured, "threshold": "see the docs"} | (
            {"direction": direction} if direction else {}
        )

    lower = [_attempt([check(0.3, "lower")]), _attempt([check(0.2, "lower")])]
    assert [f.measured for f in best_figures(lower)] == [0.2]
    higher = [_attempt([check(0.3, "higher")]), _attempt([check(0.2, "higher")])]
    assert [f.measured for f in best_figures(higher)] == [0.3]
    assert best_figures([_attempt([check(0.3, None)])]) == ()


def test_results_stored_before_the_field_get_it_from_their_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quizapp.storage import db as dbmod

    checks = [
        {"name": "size", "status": "pass", "measured": 0.26, "threshold": "<= 0.30"},
        {"name": "agreement", "status": "pass", "measured": 99.1, "threshold": ">= 97%"},
        {"name": "speed", "status": "warn", "measured": 1.1, "threshold": " ≥ 1.2x (soft)"},
        {"name": "layers", "status": "pass", "measured": 20, "threshold": "20 of 20"},
        {"name": "module", "status": "pass", "measured": "ResNet"},
        {"name": "said", "status": "pass", "threshold": "<= 1", "direction": "higher"},
        "not a check",
    ]
    old_result = {
        "exercise": "ptq-resnet18",
        "status": "pass",
        "score": 1,
        "max_score": 1,
        "duration_s": 1.0,
        "message": "",
        "checks": checks,
        "env": {},
    }
    path = tmp_path / "old.sqlite3"
    with monkeypatch.context() as old_quizapp:
        old_quizapp.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:2])
        old_quizapp.setattr(dbmod, "SCHEMA_VERSION", 2)
        with Database(path) as old:
            record_result(old, old_result)
            record_result(old, {**old_result, "checks": []})
    with Database(path) as db:
        assert db.query("PRAGMA user_version")[0][0] == dbmod.SCHEMA_VERSION
        first, second = results(db, "ptq-resnet18")[::-1]
        assert [c["direction"] if isinstance(c, dict) else c for c in first["checks"]] == [
            "lower",
            "higher",
            "higher",
            None,
            None,
            "higher",  # a direction already stored is kept
            "not a check",
        ]
        assert (
            first["checks"][:5]
            == [  # nothing else changed
                {**check, "direction": direction}
                for check, direction in zip(
                    checks[:5], ["lower", "higher", "higher", None, None], strict=True
                )
            ]
        )
        assert first["checks"][5] == checks[5]
        assert second["checks"] == []
        [attempt, _] = exercise_attempts(db)
        assert [(f.check, f.measured) for f in best_figures([attempt])] == [
            ("size", 0.26),
            ("agreement", 99.1),
            ("speed", 1.1),
        ]
