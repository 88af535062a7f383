"""`quizapp check`'s printed report, from a made-up grade (no grading runs here): what the
score counts, whole lines when piped, and what the baseline's epoch times mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizapp.commands import check
from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.results import CheckResult, GradeResult
from quizapp.grading.runner import Event

LONG_MESSAGE = (
    "The classifier (fc) ran as aten.addmm, not an INT8 linear: quantize it too, or keep it in "
    "float on purpose with a qconfig of None and say so in your notes"
)


def made_up_grade() -> tuple[list[Event], GradeResult]:
    scored = [
        CheckResult(f"check {i}", "pass" if i < 7 else "fail", max_score=1, score=i < 7)
        for i in range(9)
    ]
    scored[8] = CheckResult("fc quantized", "fail", LONG_MESSAGE, "aten.addmm", max_score=1)
    soft = [
        CheckResult("speedup at batch 1", "warn", "", 1.1, ">= 1.2x"),
        CheckResult("speedup at batch 8", "pass", "", 2.3, ">= 1.2x"),
    ]
    checks = (*scored, *soft)
    events = [
        Event(
            "checks",
            {"names": [c.name for c in checks], "max_scores": [c.max_score for c in checks]},
        ),
        *(
            Event("check_finished", {"index": i, "check": c.to_wire()})
            for i, c in enumerate(checks)
        ),
    ]
    result = GradeResult(
        exercise="ptq-resnet18",
        status="fail",
        score=7,
        max_score=9,
        duration_s=12.3,
        message="2 checks failed",
        checks=checks,
    )
    return events, result


@pytest.fixture
def graded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    """What `quizapp check ptq-resnet18` prints for the made-up grade, piped (not a TTY)."""
    events, result = made_up_grade()

    def fake_run_check(*args: object, on_event: check.Report, **kwargs: object) -> GradeResult:
        for event in events:
            on_event(event)
        return result

    monkeypatch.setattr(check, "run_check", fake_run_check)
    exercise = load_catalogue().get("ptq-resnet18")
    check.grade(exercise, tmp_path / "mine.py", json_output=False, timeout=None)
    return capsys.readouterr().out


def test_the_report_says_which_checks_carry_no_points(graded: str) -> None:
    out = graded
    assert "Running your code and 11 checks (9 scored, 2 for information) ..." in out
    [speed] = [line for line in out.splitlines() if "speedup at batch 1" in line]
    assert "(information, no points)" in speed
    [last] = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert "score 7/9" in last and "(2 checks for information, no points)" in last


def test_piped_output_keeps_every_line_whole(graded: str) -> None:
    assert any(LONG_MESSAGE in line for line in graded.splitlines())


def test_epoch_lines_say_which_time_is_the_epochs_and_which_the_total() -> None:
    from quizapp.grading.baseline import epoch_message  # imports torch: a few seconds

    first = epoch_message(1, 3, 0.912, 0.8, 14.2, 14.2)
    later = epoch_message(2, 3, 0.4, 0.95, 13.0, 27.2)
    assert first == "epoch 1/3: loss 0.912, training accuracy 80.0% (14 s)"
    assert later == "epoch 2/3: loss 0.400, training accuracy 95.0% (13 s, 27 s so far)"
