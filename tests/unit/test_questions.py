"""Answer checking: typed numbers, units, tolerances, choices and the rating rules."""

from __future__ import annotations

import math

import pytest
from fsrs import Rating
from hypothesis import given
from hypothesis import strategies as st

from quizapp.core.generators import AnswerField
from quizapp.core.models import Tolerance
from quizapp.core.questions import (
    AnswerFormatError,
    Question,
    auto_rating,
    check_choice,
    check_fields,
    free_rating,
    parse_number,
)


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_any_printed_float_reads_back(value: float) -> None:
    assert parse_number(repr(value)) == value


@given(st.integers(-(10**6), 10**6), st.integers(1, 10**6))
def test_fractions(num: int, den: int) -> None:
    assert math.isclose(parse_number(f"{num}/{den}"), num / den, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("0.0157", None, 0.0157),
        ("1.5e-2", None, 0.015),
        ("4/255", None, 4 / 255),
        ("12.5%", None, 0.125),
        ("1,000", None, 1000.0),
        ("1_000", None, 1000.0),
        ("  -3 ", None, -3.0),
        ("11.7 MB", "MB", 11.7),
        ("11.7mb", "MB", 11.7),
        ("3.96x", "x", 3.96),
        ("3.96×", "x", 3.96),
        ("4.39%", "%", 4.39),
        ("4.39", "%", 4.39),
        ("0.3 pp", "percentage points", 0.3),
        ("0.3%", "percentage points", 0.3),
        ("24 dB", "dB", 24.0),
    ],
)
def test_typed_numbers(text: str, unit: str | None, value: float) -> None:
    assert parse_number(text, unit=unit) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1/0", "1e999", "nan", "1..2", "11.7 GB", "4/", "--1"])
def test_unreadable_numbers_are_format_errors(text: str) -> None:
    with pytest.raises(AnswerFormatError):
        parse_number(text, unit="MB")


def numeric_question(value: float, tolerance: Tolerance, unit: str | None = None) -> Question:
    return Question(
        deck="d",
        card="c",
        kind="numeric",
        prompt="p",
        answer_text=str(value),
        fields=(AnswerField("answer", value, tolerance, unit=unit),),
    )


def test_tolerance_rel_and_abs() -> None:
    question = numeric_question(11.7, Tolerance(rel=0.05), unit="MB")
    assert check_fields(question, {"answer": "12.2 MB"}).correct
    assert not check_fields(question, {"answer": "12.4"}).correct
    exact = numeric_question(64, Tolerance(abs=0))
    assert check_fields(exact, {"answer": "64"}).correct
    assert not check_fields(exact, {"answer": "65"}).correct


def test_multi_field_partial_credit_and_problems() -> None:
    question = Question(
        deck="d",
        card="c",
        kind="generated",
        prompt="p",
        answer_text="",
        fields=(
            AnswerField("scale", 0.0157, Tolerance(rel=0.002)),
            AnswerField("zero_point", 64, Tolerance(abs=0), integer=True),
        ),
    )
    verdict = check_fields(question, {"scale": "4/255", "zero_point": "abc"})
    assert not verdict.correct and verdict.score == 0.5
    assert verdict.fields[1].problem is not None


def test_choice_single_and_select_all() -> None:
    single = Question(
        deck="d",
        card="c",
        kind="choice",
        prompt="p",
        answer_text="",
        options=("a", "b", "c"),
        correct_choices=(1,),
    )
    assert check_choice(single, {1}).correct
    assert not check_choice(single, {0, 1}).correct
    multi = Question(
        deck="d",
        card="c",
        kind="choice",
        prompt="p",
        answer_text="",
        options=("a", "b", "c", "d"),
        correct_choices=(0, 2),
        multiple=True,
    )
    assert check_choice(multi, {0, 2}).correct
    assert check_choice(multi, {0}).score == 0.5
    assert check_choice(multi, {0, 1}).score == 0.0


def test_rating_rules() -> None:
    question = numeric_question(1.0, Tolerance(rel=0.01))
    right = check_fields(question, {"answer": "1"})
    wrong = check_fields(question, {"answer": "2"})
    assert auto_rating(question, wrong, 5) == Rating.Again
    assert auto_rating(question, right, 5) == Rating.Good
    assert auto_rating(question, right, 500) == Rating.Hard
    assert auto_rating(question, right, 5, hint_used=True) == Rating.Hard
    assert free_rating(4, 4) == Rating.Good
    assert free_rating(2, 4) == Rating.Hard
    assert free_rating(1, 4) == Rating.Again
