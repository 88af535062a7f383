"""Units typed after a number: every spelling of the card's unit is read, every other unit is a
clear error naming the card's unit, and drill, mock and report read an answer the same way."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.core.generators import AnswerField
from quizapp.core.loader import load_decks
from quizapp.core.mock.scoring import describe_response, score_answer
from quizapp.core.models import NumericCard, Tolerance
from quizapp.core.questions import (
    AnswerFormatError,
    Question,
    check_fields,
    field_problem,
    instantiate,
    parse_number,
)
from quizapp.core.units import KNOWN_UNITS, is_description
from quizapp.resources import shipped_path

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
known_unit = st.sampled_from(KNOWN_UNITS)
gap = st.sampled_from(["", " ", "  ", "\t"])


def shipped_units() -> list[str]:
    """Every unit a shipped deck gives a numeric card or a generated field."""
    result = load_decks([shipped_path("content")])
    units = set()
    for deck in result.decks:
        for card in deck.cards:
            if isinstance(card, NumericCard) and card.unit:
                units.add(card.unit)
            elif card.type == "generated":
                for seed in range(20):
                    question = instantiate(deck.deck, card, seed)
                    units.update(f.unit for f in question.fields if f.unit)
    return sorted(units)


SHIPPED_UNITS = shipped_units()


def test_the_shipped_units_are_the_ones_the_issue_names() -> None:
    # Guards the parametrized tests below against an empty or stale list.
    for unit in ("MB", "MiB", "GB", "GiB", "%", "dB", "x", "bits/weight", "percentage points"):
        assert unit in SHIPPED_UNITS


@pytest.mark.parametrize("unit", [u for u in SHIPPED_UNITS if not is_description(u)])
@given(value=finite, spacing=gap, case=st.sampled_from([str, str.lower, str.upper]))
def test_every_shipped_unit_is_accepted_in_any_case_and_spacing(
    unit: str, value: float, spacing: str, case
) -> None:
    assert parse_number(f"{value!r}{spacing}{case(unit)}", unit=unit) == value
    assert parse_number(repr(value), unit=unit) == value  # a bare number stays fine


@given(value=finite, unit=known_unit, spacing=gap, data=st.data())
def test_every_spelling_of_a_known_unit_is_read(value: float, unit, spacing: str, data) -> None:
    spelling = data.draw(st.sampled_from(sorted(unit.spellings)))
    assert parse_number(f"{value!r}{spacing}{spelling}", unit=unit.name) == value


@given(value=finite, expected=known_unit, typed=known_unit)
def test_another_unit_is_an_error_naming_the_cards_unit(value: float, expected, typed) -> None:
    text = f"{value!r} {typed.name}"
    if (typed.kind, typed.scale) == (expected.kind, expected.scale):
        assert parse_number(text, unit=expected.name) == value
        return
    with pytest.raises(AnswerFormatError, match=f"the answer is in {expected.name}, not"):
        parse_number(text, unit=expected.name)


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("14 MB", "GB", "the answer is in GB, not MB"),
        ("14 GiB", "GB", "the answer is in GB, not GiB"),
        ("11.7 MiB", "MB", "the answer is in MB, not MiB"),
        ("5 s", "ms", "the answer is in ms, not s"),
        ("40 %", "dB", "the answer is in dB, not %"),
        ("12 parrots", "MB", "the answer is in MB, not 'parrots'"),
        ("64 MB", None, "this answer has no unit"),
        ("0.2 MB", "(same units as x)", "type just the number (same units as x)"),
        ("12,5", None, "write the decimal point as a dot, e.g. 12.5"),
        ("12,5 MB", "MB", "e.g. 12.5 MB"),
    ],
)
def test_unit_and_format_messages(text: str, unit: str | None, message: str) -> None:
    with pytest.raises(AnswerFormatError, match=re.escape(message)):
        parse_number(text, unit=unit)


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("14 GB", "GB", 14),
        ("14gb", "GB", 14),
        ("40 dB", "dB", 40),
        ("40 DB", "dB", 40),
        ("3.97x", "x", 3.97),
        ("3.97 X", "x", 3.97),
        ("3.97×", "x", 3.97),
        ("3.97 times", "x", 3.97),
        ("4.5 bits/weight", "bits/weight", 4.5),
        ("4.5 bits / weight", "bits/weight", 4.5),
        ("4.5 bits", "bits/weight", 4.5),
        ("4.125 bits per weight", "bits", 4.125),
        ("4.4%", "%", 4.4),
        ("4.4 percent", "%", 4.4),
        ("0.3 pp", "percentage points", 0.3),
        ("0.3 %", "percentage points", 0.3),
        ("71.4 tok/s", "tokens/s", 71.4),
        ("128 KiB", "KiB", 128),
        ("1024 images", "images", 1024),
        ("1 image", "images", 1),
        ("4x", "(scale factor)", 4),
        ("1 000", None, 1000),
        ("12.5%", None, 0.125),
    ],
)
def test_units_people_type(text: str, unit: str | None, value: float) -> None:
    assert parse_number(text, unit=unit) == pytest.approx(value)


def numeric(value: float, unit: str | None) -> Question:
    answer = AnswerField("answer", value, Tolerance(rel=0.01), label="answer", unit=unit)
    return Question("d", "c", "numeric", "p", str(value), fields=(answer,))


@pytest.mark.parametrize(
    ("typed", "unit", "shown"),
    [
        ("4.5 bits/weight", "bits/weight", "4.5 bits/weight"),
        ("4.5", "bits/weight", "4.5 bits/weight"),
        ("3.96x", "x", "3.96x"),
        ("14 gb", "GB", "14 gb"),
        ("", "GB", "(blank)"),
    ],
)
def test_the_report_shows_the_unit_once(typed: str, unit: str, shown: str) -> None:
    assert describe_response(numeric(4.5, unit), {"fields": {"answer": typed}}) == shown


@given(typed=st.sampled_from(["4.5 bits/weight", "4.5 bits", "4.5", "4.5 MB", "4,5", "4.5 GB"]))
def test_one_verdict_everywhere(typed: str) -> None:
    """What the answer field says while typing (drill and mock), the drill's check and the
    mock report's score all agree."""
    question = numeric(4.5, "bits/weight")
    problem = field_problem(question.fields[0], typed)
    verdict = check_fields(question, {"answer": typed})
    verdict_name, _ = score_answer(question, {"fields": {"answer": typed}})
    assert verdict.correct == (problem is None) == (verdict_name == "right")
    if problem is not None:
        assert verdict.fields[0].problem == problem


def test_generated_ratio_takes_an_x() -> None:
    result = load_decks([shipped_path("content")])
    card = result.deck("int8-math").card("model-size-drill")
    question = instantiate("int8-math", card, 3)
    ratio = next(f for f in question.fields if f.name == "ratio")
    assert ratio.unit == "x"
    typed = {f.name: f"{f.value:.6g} {f.unit or ''}" for f in question.fields}
    assert check_fields(question, typed).correct
