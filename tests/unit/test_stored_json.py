"""Stored JSON (SQLite columns) is read back through pydantic: what older versions wrote
still reads, and what this version writes reads back to the same object."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fsrs import State

from quizapp.core.fsrs_scheduler import CardState
from quizapp.core.generators import AnswerField
from quizapp.core.mock.draw import MockSetup, MockSetupError
from quizapp.core.models import Tolerance
from quizapp.core.questions import Question

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_card_state_round_trip_and_older_form() -> None:
    state = CardState("d", "c", State.Review, None, 3.5, 5.1, NOW, NOW, reps=4, lapses=1)
    stored = json.loads(json.dumps(state.to_dict()))
    assert stored["state"] == 2 and stored["due"] == "2026-03-10T12:00:00+00:00"
    assert CardState.from_dict(stored) == state
    # Before reps and lapses were kept.
    older = {k: v for k, v in stored.items() if k not in ("reps", "lapses")}
    assert CardState.from_dict(older) == CardState("d", "c", State.Review, None, 3.5, 5.1, NOW, NOW)


def test_question_round_trip_and_older_form() -> None:
    zero_point = AnswerField("zero_point", 53, Tolerance(abs=0.5), integer=True)
    scale = AnswerField("scale", 0.0182, Tolerance(rel=0.01))
    question = Question(
        "d", "c", "generated", "p", "a", fields=(scale, zero_point), params={"n": 8}, seed=3
    )
    stored = json.loads(json.dumps(question.to_dict()))
    assert stored["fields"][0]["tolerance"] == {"rel": 0.01}  # only the bounds it has
    assert stored["fields"][1]["value"] == 53 and isinstance(stored["fields"][1]["value"], int)
    assert Question.from_dict(stored) == question
    older = {k: v for k, v in stored.items() if k not in ("tags", "difficulty")}
    older.update(options=None, key_points=None)
    again = Question.from_dict(older)
    assert again.tags == () and again.options == () and again.difficulty == "medium"


def test_mock_setup_round_trip_older_form_and_a_bad_one() -> None:
    setup = MockSetup(minutes=5, questions=3, decks=("a", "b"), tags=("t",), seed=7)
    stored = json.loads(json.dumps(setup.to_dict()))
    assert stored == {
        "minutes": 5,
        "questions": 3,
        "decks": ["a", "b"],
        "tags": ["t"],
        "per_question_s": None,
        "seed": 7,
    }
    assert MockSetup.from_dict(stored) == setup
    assert MockSetup.from_dict({"minutes": 2, "questions": 1, "decks": None}).decks == ()
    with pytest.raises(MockSetupError, match="minutes"):
        MockSetup.from_dict({"minutes": -1, "questions": 3})
