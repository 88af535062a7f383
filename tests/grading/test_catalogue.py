"""The exercise catalogue and stored results (that none of it, nor the runner, imports torch is
an import-linter contract in pyproject.toml)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quizapp.grading.catalogue import (
    ExerciseFileError,
    UnknownExercise,
    exercises_root,
    hint,
    load_catalogue,
    load_exercise,
)
from quizapp.grading.children import BoundedOutput
from quizapp.library import load_library
from quizapp.storage.db import Database
from quizapp.storage.exercises import (
    mark_solution_viewed,
    record_result,
    set_hints_shown,
    status,
    statuses,
)


def test_shipped_exercises_load_and_link_to_real_cards() -> None:
    catalogue = load_catalogue()
    assert catalogue.errors == []
    assert "ptq-resnet18" in catalogue.ids
    cards = {f"{d.deck}/{c.id}" for d in load_library().decks for c in d.cards}
    for exercise in catalogue.exercises:
        assert 3 <= len(exercise.hints) <= 4, exercise.id
        missing = [c for c in exercise.manifest.cards if c not in cards]
        assert missing == [], f"{exercise.id} links to unknown cards {missing}"
        assert "TODO" in exercise.starter.read_text()
        assert exercise.manifest.entry_point.name in exercise.starter.read_text()
        assert exercise.manifest.cards, f"{exercise.id} links to no deck card"
        for card in exercise.manifest.cards:  # and each card links back
            assert exercise in catalogue.by_card[card]


def test_unknown_exercise_lists_the_known_ones() -> None:
    with pytest.raises(UnknownExercise, match="no exercise 'nope' \\(exercises: .*ptq-resnet18"):
        load_catalogue().get("nope")


def _copy_exercise(tmp_path: Path, name: str = "ptq-resnet18") -> Path:
    folder = tmp_path / "exercises" / name
    shutil.copytree(exercises_root() / "ptq-resnet18", folder)
    return folder


def test_a_bad_manifest_is_reported_and_the_rest_still_load(tmp_path: Path) -> None:
    good = _copy_exercise(tmp_path)
    bad = _copy_exercise(tmp_path, "broken")
    manifest = (bad / "exercise.yaml").read_text()
    (bad / "exercise.yaml").write_text(
        manifest.replace("id: ptq-resnet18", "id: broken").replace("order: 10", "ordr: 10")
    )
    (bad / "solution.py").unlink()
    catalogue = load_catalogue(tmp_path / "exercises")
    assert catalogue.ids == ["ptq-resnet18"]
    assert [str(e) for e in catalogue.errors] == [
        f"{bad / 'exercise.yaml'}: order: Field required",
        f"{bad / 'exercise.yaml'}: ordr: unknown key",
    ]
    (bad / "exercise.yaml").write_text(manifest)  # id no longer matches the folder
    with pytest.raises(ExerciseFileError) as caught:
        load_exercise(bad)
    assert [str(e) for e in caught.value.errors] == [
        f"{bad / 'exercise.yaml'}: id: 'ptq-resnet18' must match its folder name",
        f"{bad / 'solution.py'}: missing",
    ]
    assert load_exercise(good).id == "ptq-resnet18"


def test_hints_are_tiered() -> None:
    exercise = load_catalogue().get("ptq-resnet18")
    assert hint(exercise, 1) == exercise.hints[0]
    assert "convert" in hint(exercise, len(exercise.hints))
    with pytest.raises(IndexError):
        hint(exercise, 0)


def _result(status_: str, score: float) -> dict:
    return {
        "exercise": "ptq-resnet18",
        "status": status_,
        "score": score,
        "max_score": 9,
        "duration_s": 3.5,
        "message": "",
        "checks": [],
        "env": {"torch": "2.14.1", "engine": "x86", "threads": 2},
    }


def test_results_and_progress_are_stored() -> None:
    with Database() as db:
        assert status(db, "ptq-resnet18").label == "new"
        record_result(db, _result("fail", 4), datetime(2026, 11, 1, tzinfo=UTC))
        record_result(db, _result("error", 0), datetime(2026, 11, 2, tzinfo=UTC))
        mine = status(db, "ptq-resnet18")
        assert (mine.label, mine.best_score, mine.max_score, mine.attempts) == ("error", 4, 9, 2)
        record_result(db, _result("pass", 9), datetime(2026, 11, 3, tzinfo=UTC))
        record_result(db, _result("fail", 5), datetime(2026, 11, 4, tzinfo=UTC))
        mine = status(db, "ptq-resnet18")
        assert (mine.label, mine.best_score, mine.last_status) == ("passed", 9, "fail")
        set_hints_shown(db, "ptq-resnet18", 2)
        set_hints_shown(db, "ptq-resnet18", 1)
        mark_solution_viewed(db, "other")
        everything = statuses(db)
        assert everything["ptq-resnet18"].hints_shown == 2
        assert everything["other"].solution_viewed and everything["other"].label == "new"


def test_bounded_output_keeps_head_and_tail() -> None:
    output = BoundedOutput(head=10, tail=5)
    for chunk in (b"0123456", b"789abcdefgh", b"ijklmnop"):
        output.feed(chunk)
    assert output.truncated and output.dropped == 26 - 15
    assert output.text() == "0123456789\n... (11 bytes of output left out) ...\nlmnop"


def test_every_exercise_declares_its_grade_time_and_the_baseline_its_checks_use() -> None:
    """The interview loop draws by `reference_grade_s` and trains a missing `baseline` before
    its clock starts: a manifest that leaves one out, or names the wrong model, would let a
    minute of training land on the learner's round."""
    from quizapp.grading.catalogue import load_catalogue

    for exercise in load_catalogue().exercises:
        manifest = exercise.manifest
        assert manifest.reference_grade_s is not None, exercise.id
        checks = (exercise.folder / "checks.py").read_text()
        uses = (
            "gpt-stdlib"
            if "gpt_baseline" in checks
            else "resnet18-digits"
            if "resnet_checks" in checks or "baseline" in checks
            else None
        )
        assert manifest.baseline == uses, exercise.id
