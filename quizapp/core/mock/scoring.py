"""Responses, judgments and scoring of one mock question.

A response is JSON-ready data, by question kind:
  choice: {"choices": [0, 2]}   numeric/generated: {"fields": {"scale": "0.0157"}}
  flashcard/free: {"text": "..."}
A judgment (self-graded kinds only): flashcard {"mark": "right"|"partly"|"wrong"},
free {"covered": [indices of key points covered]}.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fsrs import Rating

from quizapp.core.questions import Question, check_choice, check_fields, free_rating, typed_unit
from quizapp.core.units import with_unit

VerdictName = Literal["right", "partial", "wrong", "blank"]
FLASHCARD_MARKS = {"wrong": 0.0, "partly": 0.5, "right": 1.0}


class MockStateError(RuntimeError):
    """An action that the mock's current phase does not allow (e.g. answering after the end)."""


def is_blank(question: Question, response: Mapping[str, Any] | None) -> bool:
    if not response:
        return True
    if question.kind == "choice":
        return not response.get("choices")
    if question.kind in ("numeric", "generated"):
        return not any(str(v).strip() for v in (response.get("fields") or {}).values())
    return not str(response.get("text") or "").strip()


def check_judgment(question: Question, judgment: Mapping[str, Any]) -> dict[str, Any]:
    """A clean copy of a judgment, or MockStateError saying what is wrong with it."""
    if question.kind == "flashcard":
        mark = judgment.get("mark")
        if mark not in FLASHCARD_MARKS:
            raise MockStateError(f"a flashcard is marked one of {', '.join(FLASHCARD_MARKS)}")
        return {"mark": mark}
    if question.kind == "free":
        covered = sorted({int(i) for i in judgment.get("covered", ())})
        if any(not 0 <= i < len(question.key_points) for i in covered):
            raise MockStateError("a covered key point is out of range")
        return {"covered": covered}
    raise MockStateError(f"{question.kind} questions are graded automatically")


def score_answer(
    question: Question,
    response: Mapping[str, Any] | None,
    judgment: Mapping[str, Any] | None = None,
) -> tuple[VerdictName, float]:
    """Verdict and score (0..1). Self-graded questions need their judgment unless blank."""
    if is_blank(question, response):
        return "blank", 0.0
    assert response is not None
    if question.kind == "choice":
        score = check_choice(question, {int(i) for i in response["choices"]}).score
    elif question.kind in ("numeric", "generated"):
        given = {str(k): str(v) for k, v in (response.get("fields") or {}).items()}
        score = check_fields(question, given).score
    else:
        if judgment is None:
            raise MockStateError(f"{question.key} has not been judged yet")
        if question.kind == "flashcard":
            score = FLASHCARD_MARKS[judgment["mark"]]
        else:
            total = len(question.key_points)
            score = len(judgment.get("covered", ())) / total if total else 1.0
    if score >= 1.0:
        return "right", 1.0
    if score <= 0.0:
        return "wrong", 0.0
    return "partial", score


def review_rating(
    question: Question,
    verdict: VerdictName,
    judgment: Mapping[str, Any] | None = None,
) -> Rating | None:
    """The rating an answer sends to the review queue, as a drill would rate the same answer:
    None when right (nothing to review), Hard when a self-graded answer was mostly there (half
    the key points or more, or a flashcard marked "partly"), Again otherwise. Auto-checked
    answers are right or not, as in a drill: partial credit there is still a miss."""
    if verdict == "right":
        return None
    if verdict == "partial" and judgment is not None:
        if question.kind == "free":
            return free_rating(len(judgment.get("covered", ())), len(question.key_points))
        if question.kind == "flashcard":
            return Rating.Hard
    return Rating.Again


def describe_response(question: Question, response: Mapping[str, Any] | None) -> str:
    """The learner's answer as plain text, for the grading screen and the report."""
    if is_blank(question, response):
        return "(blank)"
    assert response is not None
    if question.kind == "choice":
        picked = sorted(int(i) for i in response["choices"])
        return "; ".join(
            f"{i + 1}. {question.options[i]}" if 0 <= i < len(question.options) else str(i + 1)
            for i in picked
        )
    if question.kind in ("numeric", "generated"):
        given = response.get("fields") or {}
        parts = []
        for answer_field in question.fields:
            text = str(given.get(answer_field.name, "")).strip()
            # The unit once: as typed, or the card's when the learner typed none.
            shown = (text if typed_unit(text) else with_unit(text, answer_field.unit)) or "(blank)"
            parts.append(
                f"{answer_field.label or answer_field.name} = {shown}"
                if len(question.fields) > 1 or question.kind == "generated"
                else shown
            )
        return ", ".join(parts)
    return str(response.get("text", "")).strip()
