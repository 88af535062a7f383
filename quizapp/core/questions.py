"""A card made ready to ask (generated cards get their numbers), and answer checking.

Drill and mock both ask `Question`s; only the way a verdict becomes a rating or a score
differs. A Question is plain data (it round-trips through JSON for saved mocks).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Annotated, Any

from fsrs import Rating

from quizapp.core.generators import AnswerField, generate
from quizapp.core.json_contract import NoneAsEmpty, from_json_document, json_document
from quizapp.core.models import (
    DEFAULT_TOLERANCE,
    Card,
    ChoiceCard,
    FlashCard,
    FreeCard,
    GeneratedCard,
    NumericCard,
)
from quizapp.core.units import is_description, unit_problem, with_unit

SELF_RATED = ("flashcard", "free")

_SELECT_ALL = re.compile(r"\s*\(select all that apply\)\s*$", re.IGNORECASE)

# Above this many seconds a right answer is rated Hard rather than Good (Anki's "slow recall").
SLOW_SECONDS = {"choice": 30.0, "numeric": 90.0, "generated": 120.0}


@dataclass(frozen=True)
class Question:
    deck: str
    card: str
    kind: str  # the card type
    prompt: str  # Markdown
    answer_text: str  # Markdown: the model answer, as shown after answering
    options: Annotated[tuple[str, ...], NoneAsEmpty] = ()
    correct_choices: Annotated[tuple[int, ...], NoneAsEmpty] = ()
    multiple: bool = False
    fields: tuple[AnswerField, ...] = ()
    key_points: Annotated[tuple[str, ...], NoneAsEmpty] = ()
    explanation: str | None = None
    source: str | None = None
    working: str | None = None  # generated cards: the formula with the drawn numbers
    params: dict[str, Any] | None = None  # generated cards: the numbers drawn
    seed: int | None = None
    tags: Annotated[tuple[str, ...], NoneAsEmpty] = ()
    difficulty: str = "medium"

    @property
    def key(self) -> str:
        return f"{self.deck}/{self.card}"

    @property
    def self_rated(self) -> bool:
        return self.kind in SELF_RATED

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, stored with each mock question."""
        return json_document(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        return from_json_document(cls, data)


def without_select_all(prompt: str) -> str:
    """A multi-answer prompt without a deck's own trailing "(select all that apply)": every
    view of such a card says it once in its own place."""
    return _SELECT_ALL.sub("", prompt)


def instantiate(deck_id: str, card: Card, seed: int | None = None) -> Question:
    """Make a card askable. Generated cards draw their numbers from `seed` (0 if None)."""
    common: dict[str, Any] = dict(
        deck=deck_id,
        card=card.id,
        kind=card.type,
        explanation=card.explanation,
        source=card.source,
        tags=tuple(card.tags),
        difficulty=card.difficulty,
    )
    if isinstance(card, FlashCard):
        return Question(prompt=card.prompt, answer_text=card.answer, **common)
    if isinstance(card, FreeCard):
        return Question(
            prompt=card.prompt, answer_text=card.answer, key_points=tuple(card.key_points), **common
        )
    if isinstance(card, ChoiceCard):
        correct = tuple(sorted(card.correct))
        answer_text = "\n".join(f"{i + 1}. {card.options[i]}" for i in correct)
        return Question(
            prompt=card.prompt,
            answer_text=answer_text,
            options=tuple(card.options),
            correct_choices=correct,
            multiple=card.multiple,
            **common,
        )
    if isinstance(card, NumericCard):
        answer_field = AnswerField(
            "answer",
            card.answer,
            card.tolerance or DEFAULT_TOLERANCE,
            label="answer",
            integer=False,
            unit=card.unit,
        )
        number = f"{card.answer:g}"
        # A description such as "(same units as x)" stays beside the number, a unit joins it.
        answer_text = (
            f"{number} {card.unit}" if is_description(card.unit) else with_unit(number, card.unit)
        )
        return Question(
            prompt=card.prompt,
            answer_text=answer_text,
            fields=(answer_field,),
            **common,
        )
    if isinstance(card, GeneratedCard):
        seed = 0 if seed is None else seed
        generated = generate(card.generator, card.params, seed)
        prompt = f"{card.prompt}\n\n{generated.prompt}" if card.prompt else generated.prompt
        return Question(
            prompt=prompt,
            answer_text=generated.answer_text
            or ", ".join(f"{f.label or f.name} = {f.display()}" for f in generated.fields),
            fields=generated.fields,
            working=generated.working,
            params=generated.params,
            seed=seed,
            **common,
        )
    raise TypeError(f"unknown card type {type(card).__name__}")


# --- checking ---------------------------------------------------------------------------------


class AnswerFormatError(ValueError):
    """The learner's text is not a number we can read."""


# A number as typed: digits grouped by commas or spaces in threes, or by underscores as in
# Python; a decimal point; an exponent; optionally "a/b". What follows it is the unit.
_INTEGER = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,3}(?: \d{3})+(?!\d)|\d+(?:_\d+)*)"
_DECIMAL = rf"[+-]?(?:{_INTEGER}(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_TYPED = re.compile(rf"\s*(?P<number>{_DECIMAL}(?:\s*/\s*{_DECIMAL})?)\s*(?P<unit>.*?)\s*")
_UNIT_START = re.compile(r"[^\W\d_]|[%×µμ]")  # a unit starts with a letter or a symbol


def _not_a_number(text: str) -> AnswerFormatError:
    return AnswerFormatError(f"{text.strip()!r} is not a number (try 0.0157, 1.5e-2 or 4/255)")


def split_answer(text: str) -> tuple[str, str]:
    """The number and the unit of a typed answer ("11.7 MB" -> "11.7", "MB").

    Raises AnswerFormatError when the text does not start with a number, or what follows the
    number is not a word (a unit) or a symbol such as %.
    """
    if not text.strip():
        raise AnswerFormatError("no answer given")
    match = _TYPED.fullmatch(text)
    if match is None:
        raise _not_a_number(text)
    number, unit = match.group("number"), match.group("unit")
    if unit and not _UNIT_START.match(unit):
        if re.fullmatch(r",\d+", unit.split()[0]):
            fixed = text.strip().replace(",", ".", 1)
            raise AnswerFormatError(
                f"{text.strip()!r}: write the decimal point as a dot, e.g. {fixed}"
            )
        raise _not_a_number(text)
    return number, unit


def typed_unit(text: str) -> str:
    """The unit typed after the number ("" when none, or when the text is not a number)."""
    try:
        return split_answer(text)[1]
    except AnswerFormatError:
        return ""


def _read(number: str, text: str) -> float:
    cleaned = re.sub(r"[\s_]", "", number)
    if re.search(r"\d,\d", cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        num, slash, den = cleaned.partition("/")
        value = float(Fraction(num) / Fraction(den)) if slash else float(cleaned)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise _not_a_number(text) from None
    if not math.isfinite(value):
        raise AnswerFormatError("the number must be finite")
    return value


def parse_number(text: str, *, unit: str | None = None) -> float:
    """Read a typed number: 0.0157, 1.5e-2, 4/255, 12.5%, 1_000 or 1,000.

    `unit` is the card's unit: the learner may type it after the number in any common
    spelling ("11.7 MB", "11.7mb", "3.96x", "24 dB"). A unit the card is not in is an error
    that names the card's unit ("the answer is in GB, not MB"). Without a card unit, a
    trailing % means "divide by 100"; with a card in % or percentage points, "4.4%" is 4.4.
    Drill, mock and report all read answers through here, so they agree on every answer.
    """
    number, typed = split_answer(text)
    value = _read(number, text)
    if not typed:
        return value
    if unit is None and typed == "%":
        return value / 100
    problem = unit_problem(typed, unit)
    if problem is not None:
        raise AnswerFormatError(problem)
    return value


def field_problem(answer_field: AnswerField, text: str) -> str | None:
    """Why a typed answer can't be checked (not a number, wrong unit), or None."""
    try:
        parse_number(text, unit=answer_field.unit)
    except AnswerFormatError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class FieldResult:
    name: str
    given: str
    expected: str
    correct: bool
    problem: str | None = None  # e.g. "not a number"


@dataclass(frozen=True)
class Verdict:
    """The outcome of an auto-graded answer."""

    correct: bool
    score: float  # 0..1 (partial credit for multi-field and multi-select answers)
    fields: tuple[FieldResult, ...] = field(default_factory=tuple)


def check_choice(question: Question, selected: set[int] | frozenset[int]) -> Verdict:
    correct = set(question.correct_choices)
    chosen = set(selected)
    if not question.multiple:
        ok = chosen == correct
        return Verdict(ok, 1.0 if ok else 0.0)
    # Select-all-that-apply: partial credit = right picks minus wrong picks, floored at 0.
    hits = len(chosen & correct)
    misses = len(chosen - correct)
    score = max(0.0, (hits - misses) / len(correct))
    return Verdict(chosen == correct, score)


def check_fields(question: Question, given: dict[str, str]) -> Verdict:
    """Numeric and generated answers: each field within its tolerance."""
    results = []
    for answer_field in question.fields:
        text = given.get(answer_field.name, "")
        try:
            value = parse_number(text, unit=answer_field.unit)
        except AnswerFormatError as exc:
            results.append(
                FieldResult(answer_field.name, text, answer_field.display(), False, str(exc))
            )
            continue
        ok = answer_field.tolerance.accepts(value, answer_field.value)
        results.append(FieldResult(answer_field.name, text.strip(), answer_field.display(), ok))
    right = sum(r.correct for r in results)
    return Verdict(right == len(results), right / len(results) if results else 0.0, tuple(results))


def auto_rating(
    question: Question, verdict: Verdict, seconds: float, hint_used: bool = False
) -> Rating:
    """Wrong -> Again; right -> Good; right but slow or after a hint -> Hard."""
    if not verdict.correct:
        return Rating.Again
    if hint_used or seconds > SLOW_SECONDS.get(question.kind, math.inf):
        return Rating.Hard
    return Rating.Good


def free_rating(covered: int, total: int) -> Rating:
    """Free answers: the share of key points covered gives the rating."""
    if total <= 0:
        return Rating.Good
    share = covered / total
    if share >= 1.0:
        return Rating.Good
    if share >= 0.5:
        return Rating.Hard
    return Rating.Again
