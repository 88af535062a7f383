"""ptq-resnet18 end to end through the CLI: the reference solution passes with the figures
DESIGN.md promises, the starter fails saying what is missing, and both land in SQLite.
(Calibrating on noise is graded once, in test_exercises_resnet.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from quizapp.cli import main
from quizapp.commands.schema import schema_of
from quizapp.grading.catalogue import load_catalogue
from quizapp.storage.db import Database
from quizapp.storage.exercises import results
from quizapp.storage.workspace import workspace_file

pytestmark = [pytest.mark.grading, pytest.mark.slow]

EXERCISE = "ptq-resnet18"
CHECKS = [
    "returns a module",
    "all convolutions quantized",
    "conv+bn+relu fused",
    "fc quantized",
    "size <= 0.30 of FP32",
    "input range fits the data",
    "runs on INT8 kernels",
    "ReLU after every residual add",
    "runs on new batch sizes",
    "accuracy drop <= 1 point",
    "top-1 agreement >= 97%",
    "speedup at batch 1",
    "speedup at batch 64",
]


def _check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", EXERCISE, "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_the_solution_passes_with_the_promised_figures(
    shared_baseline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    solution = load_catalogue().get(EXERCISE).solution
    code, result = _check_json(capsys, "--file", str(solution))
    assert code == 0, result
    assert set(result) == {
        "exercise",
        "status",
        "score",
        "max_score",
        "duration_s",
        "message",
        "checks",
        "env",
    }
    assert result["status"] == "pass" and result["score"] == result["max_score"] == 11
    # The published schema (`quizapp schema check`) holds for a real grade with every check.
    assert not list(Draft202012Validator(schema_of("check")).iter_errors(result))
    assert [c["name"] for c in result["checks"]] == CHECKS
    assert all(
        set(c) == {"name", "status", "message", "measured", "threshold", "direction"}
        for c in result["checks"]
    )
    by_name = {c["name"]: c for c in result["checks"]}
    # Every check with a numeric threshold says which way its figure is better; the others
    # (counts that must match, layer types) have none.
    assert {c["name"]: c["direction"] for c in result["checks"] if c["direction"]} == {
        "size <= 0.30 of FP32": "lower",
        "input range fits the data": "lower",
        "accuracy drop <= 1 point": "lower",
        "top-1 agreement >= 97%": "higher",
        "speedup at batch 1": "higher",
        "speedup at batch 64": "higher",
    }
    assert all(by_name[n]["status"] == "pass" for n in CHECKS[:11])
    # Structure: what ResNet-18 is, whatever the baseline's weights.
    assert by_name["all convolutions quantized"]["measured"] == 20
    assert by_name["conv+bn+relu fused"]["measured"] == "0 BatchNorm, 9 conv+ReLU"
    assert by_name["runs on INT8 kernels"]["measured"] == (
        "20 conv, 1 linear, 8 add in INT8; 0 float"
    )
    # Bounds the exercise promises, for any sane baseline.
    assert 0.2 < by_name["size <= 0.30 of FP32"]["measured"] <= 0.30
    assert by_name["accuracy drop <= 1 point"]["measured"] <= 1.0
    assert by_name["top-1 agreement >= 97%"]["measured"] >= 97
    for soft in CHECKS[11:]:  # measured, never failing
        assert by_name[soft]["status"] in ("pass", "warn")
        assert by_name[soft]["measured"] > 0
    assert result["env"]["threads"] >= 1 and result["env"]["engine"]
    assert result["env"]["torch"].startswith("2.")

    assert main(["exercises", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    row = next(e for e in listing["exercises"] if e["id"] == EXERCISE)
    assert (row["status"], row["best_score"], row["max_score"]) == ("passed", 11, 11)


def test_the_starter_fails_saying_what_is_missing(
    shared_baseline: Path, quizapp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", EXERCISE])  # no --file: the workspace copy, made from the starter
    captured = capsys.readouterr()
    assert code == 1
    exercise = load_catalogue().get(EXERCISE)
    copy = workspace_file(exercise)
    assert copy.read_text() == exercise.starter.read_text()
    assert copy.is_relative_to(quizapp_home)
    assert "Created your copy of the starter" in captured.out
    out = captured.out
    assert "✗ all convolutions quantized" in out
    assert "0 of 20 convolutions ran as INT8 kernels" in out
    assert "model.fuse_model()" in out
    assert "The classifier (fc) ran as aten.addmm, not an INT8 linear" in out
    assert "FAIL  score" in out

    with Database() as db:  # the stored result is the --json object
        (stored,) = results(db, EXERCISE)
    assert stored["status"] == "fail" and stored["max_score"] == 11
    by_name = {c["name"]: c for c in stored["checks"]}
    assert by_name["returns a module"]["status"] == "pass"
    assert by_name["size <= 0.30 of FP32"]["status"] == "fail"
    assert by_name["size <= 0.30 of FP32"]["measured"] > 0.95  # the FP32 network, as given
    assert by_name["accuracy drop <= 1 point"]["status"] == "skip"  # no INT8 model to measure
    assert by_name["accuracy drop <= 1 point"]["direction"] == "lower"  # skipped, still said
    assert main(["exercises", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)["exercises"]
    row = next(e for e in listing if e["id"] == EXERCISE)
    assert (row["status"], row["attempts"], row["best_score"]) == ("failed", 1, 1)


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("quizapp: no exercise 'nope' (exercises: ") and EXERCISE in err
    assert main(["check", EXERCISE, "--file", str(tmp_path / "missing.py")]) == 1
    assert capsys.readouterr().err.endswith("missing.py: no such file\n")
    assert main(["check", EXERCISE, "--watch", "--json"]) == 2  # one report per save: no JSON
