"""Hints on a drill card: a choice question loses one wrong option at a time (never the last
one), a generated question shows the first step of its working. Other cards have none."""

from __future__ import annotations

from quizapp.core.questions import Question


def hint_available(question: Question, struck: frozenset[int] | None) -> bool:
    """`struck`: the options a hint already removed (None while the choices are mounted)."""
    if question.kind == "choice":
        return struck is not None and len(wrong_options(question) - struck) > 1
    return question.kind == "generated" and bool(question.working)


def wrong_options(question: Question) -> set[int]:
    return set(range(len(question.options))) - set(question.correct_choices)


def first_step(question: Question) -> str:
    """The first line of the working, without its list dash."""
    return (question.working or "").strip().splitlines()[0].lstrip("- ")
