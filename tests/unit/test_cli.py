"""The command line: exit codes, one JSON document on stdout, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from unit.test_loader import GOOD

from quizapp.cli import main


@pytest.fixture
def decks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "calibration.yaml").write_text(GOOD)
    monkeypatch.setenv("QUIZAPP_DECKS", str(folder))
    return folder


def test_validate_reports_every_error_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        GOOD.replace("type: flashcard", "type: flashcrd").replace("answer: 1\n", "answer: 9\n")
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("deck: [\n")
    assert main(["validate", str(bad), str(broken)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert (
        f"{bad}:6:11: cards[0].type: unknown card type; use one of flashcard, choice, numeric, free, generated"
        in out
    )
    assert f"{bad}:15:13: cards[1].answer: index 9 is out of range for 3 options" in out
    assert any(line.startswith(f"{broken}:2:1: YAML:") for line in out)
    assert out[-1] == "3 errors in 2 files; 0 of 2 decks valid (0 cards)"


def test_validate_passes_on_good_decks(decks_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(decks_dir)]) == 0
    assert capsys.readouterr().out.strip() == "all 1 decks valid (6 cards in 1 files)"


def test_decks_json_is_one_document(decks_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decks", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    mine = [d for d in document["decks"] if d["deck"] == "test-calibration"]
    assert mine == [
        {
            "deck": "test-calibration",
            "title": "Calibration",
            "description": "Why and how activation ranges are observed.",
            "cards": 6,
            "hand_written": 5,
            "generated": 1,
            "path": str(decks_dir / "calibration.yaml"),
        }
    ]


def test_sample_generated_card_with_seed(
    decks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sample", "test-calibration/qparams-drill", "--seed", "7", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["type"] == "generated" and first["seed"] == 7
    assert set(first["answer"]) == {"scale", "zero_point"}
    assert set(first["params"]) == {"x_min", "x_max", "dtype", "qscheme", "reduce_range"}
    assert main(["sample", "test-calibration/qparams-drill", "--seed", "7", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == first


def test_sample_choice_and_errors(decks_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", "test-calibration/select-all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == [0, 2]
    assert main(["sample", "test-calibration/nope"]) == 1
    assert "has no card 'nope'" in capsys.readouterr().err
    assert main(["sample", "nodeck/x"]) == 1
    assert main(["sample", "no-slash"]) == 1


def test_user_mistakes_never_print_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe not yaml at all: [")
    for args in (
        ["validate", str(bad)],
        ["sample", "x"],
        ["mock", "--minutes", "-1"],
        ["nonsense"],
    ):
        run = subprocess.run(
            [sys.executable, "-m", "quizapp", *args], capture_output=True, text=True
        )
        assert run.returncode in (1, 2), (args, run.returncode)
        assert "Traceback" not in run.stdout + run.stderr, args
