"""`quizapp schema`: each published JSON Schema validates a real output of its command, and
says what is required (a schema that accepts anything would prove nothing)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from unit.test_loader import GOOD

from quizapp.cli import SCHEMA_NAMES, main
from quizapp.commands.schema import CONTRACTS
from quizapp.storage.db import Database
from quizapp.storage.exercises import record_result
from quizapp.storage.reviews import record_review, set_interview_date

DECK = "test-calibration"


@pytest.fixture
def decks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "calibration.yaml").write_text(GOOD)
    (folder / "broken.yaml").write_text("deck: broken\ncards: 3\n")  # an entry in `errors`
    monkeypatch.setenv("QUIZAPP_DECKS", str(folder))
    return folder


def schema(name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["schema", name]) == 0
    published: dict[str, Any] = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(published)
    return published


def output(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    main(list(argv))
    return json.loads(capsys.readouterr().out)


def validate(document: Any, published: dict[str, Any]) -> None:
    errors = [e.message for e in Draft202012Validator(published).iter_errors(document)]
    assert not errors, errors


def test_the_cli_names_every_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert tuple(CONTRACTS) == SCHEMA_NAMES
    assert main(["schema"]) == 0
    assert list(json.loads(capsys.readouterr().out)) == list(SCHEMA_NAMES)


def test_decks(decks_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    published = schema("decks", capsys)
    document = output(capsys, "decks", "--json")
    assert document["decks"] and document["errors"]
    validate(document, published)
    row = published["$defs"]["DeckRow"]
    assert set(row["required"]) == set(document["decks"][0])
    with pytest.raises(AssertionError):  # a renamed field is caught
        validate({**document, "deck_list": document.pop("decks")}, published)


@pytest.mark.parametrize(
    "card",
    [
        "why-calibrate",
        "default-weight-scheme",
        "select-all",
        "resnet18-int8-mb",
        "explain-ptq-vs-qat",
        "qparams-drill",
    ],
)
def test_sample_of_each_kind(
    card: str, decks_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = schema("sample", capsys)
    document = output(capsys, "sample", f"{DECK}/{card}", "--seed", "4", "--json")
    validate(document, published)
    with pytest.raises(AssertionError):
        validate({**document, "answer": None}, published)


def test_exercises(capsys: pytest.CaptureFixture[str]) -> None:
    published = schema("exercises", capsys)
    document = output(capsys, "exercises", "--json")
    assert document["exercises"]
    validate(document, published)


def test_check_on_a_file_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The one `check --json` output made without grading (tests/grading validates a real
    grade with every check against the same schema)."""
    published = schema("check", capsys)
    folder = tmp_path / "learner.py"
    folder.mkdir()
    document = output(capsys, "check", "int8-affine-math", "--file", str(folder), "--json")
    assert document["status"] == "error"
    validate(document, published)
    with pytest.raises(AssertionError):
        validate({**document, "status": "passed"}, published)


def test_stats_with_every_part_filled(decks_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    published = schema("stats", capsys)
    with Database() as db:
        record_review(db, DECK, "why-calibrate", 3, mode="drill")
        record_review(db, DECK, "select-all", 1, mode="drill")
        set_interview_date(db, date(2099, 1, 1))
        record_result(
            db,
            {
                "exercise": "int8-affine-math",
                "status": "pass",
                "score": 4,
                "max_score": 4,
                "duration_s": 1.5,
                "message": "",
                "checks": [
                    {
                        "name": "scale",
                        "status": "pass",
                        "message": "",
                        "measured": 0.02,
                        "threshold": "<= 0.05",
                        "direction": "lower",
                    }
                ],
                "env": {"torch": None, "engine": None, "threads": 1},
            },
        )
    document = output(capsys, "stats", "--json")
    assert document["interview"] and document["exercises"][0]["best"]
    validate(document, published)
    assert "interview" not in published["required"]  # only with an interview date
    with pytest.raises(AssertionError):
        validate({**document, "activity": {**document["activity"], "from": 3}}, published)
