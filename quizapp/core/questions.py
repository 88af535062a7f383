"""A card made ready to ask (generated cards get their numbers), and answer checking.

Drill and mock both ask `Question`s; only the way a verdict becomes a rating or a score
differs. A Question is plain data (it round-trips through JSON for saved mocks).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from fsrs import Rating

from quizapp.core.generators import AnswerField, generate
from quizapp.core.models import (
    DEFAULT_TOLERANCE,
    Card,
    ChoiceCard,
    FlashCard,
    FreeCard,
    GeneratedCard,
    NumericCard,
    Tolerance,
)

SELF_RATED = ("flashcard", "free")

# Above this many seconds a right answer is rated Hard rather than Good (Anki's "slow recall").
SLOW_SECONDS = {"choice": 30.0, "numeric": 90.0, "generated": 120.0}


@dataclass(frozen=True)
class Question:
    deck: str
    card: str
    kind: str  # the card type
    prompt: str  # Markdown
    answer_text: str  # Markdown: the model answer, as shown after answering
    options: tuple[str, ...] = ()
    correct_choices: tuple[int, ...] = ()
    multiple: bool = False
    fields: tuple[AnswerField, ...] = ()
    key_points: tuple[str, ...] = ()
    explanation: str | None = None
    source: str | None = None
    working: str | None = None  # generated cards: the formula with the drawn numbers
    params: dict[str, Any] | None = None  # generated cards: the numbers drawn
    seed: int | None = None
    tags: tuple[str, ...] = ()
    difficulty: str = "medium"

    @property
    def key(self) -> str:
        return f"{self.deck}/{self.card}"

    @property
    def self_rated(self) -> bool:
        return self.kind in SELF_RATED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [
            {**asdict(f), "tolerance": f.tolerance.model_dump(exclude_none=True)}
            for f in self.fields
        ]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        data = dict(data)
        data["fields"] = tuple(
            AnswerField(**{**f, "tolerance": Tolerance(**f["tolerance"])}) for f in data["fields"]
        )
        for name in ("options", "correct_choices", "key_points", "tags"):
            data[name] = tuple(data.get(name) or ())
        return cls(**data)


def instantiate(deck_id: str, card: Card, seed: int | None = None) -> Question:
    """Make a card askable. Generated cards draw their numbers from `seed` (0 if None)."""
    common = dict(
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
        unit = f" {card.unit}" if card.unit else ""
        answer_field = AnswerField(
            "answer",
            card.answer,
            card.tolerance or DEFAULT_TOLERANCE,
            label="answer",
            integer=False,
            unit=card.unit,
        )
        return Question(
            prompt=card.prompt,
            answer_text=f"{card.answer:g}{unit}",
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


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# Units a learner may type after the number; "%" is a unit here, not "divide by 100".
_PERCENT_UNITS = {"%", "percent", "percentage points", "pp", "points"}


def _strip_unit(text: str, unit: str | None) -> tuple[str, bool]:
    """Drop a unit typed after the number ("11.7 MB", "3.96x", "4.4%" when the unit is %).

    Returns the text and whether a trailing % still means "divide by 100".
    """
    cleaned = text.strip()
    if unit is None:
        return cleaned, True
    unit_l = unit.strip().lower()
    lowered = cleaned.lower()
    if unit_l in _PERCENT_UNITS:
        for suffix in ("percentage points", "percent", "pp", "%"):
            if lowered.endswith(suffix):
                return cleaned[: -len(suffix)].strip(), False
        return cleaned, False
    if unit_l and not unit_l.startswith("(") and lowered.endswith(unit_l):
        return cleaned[: -len(unit_l)].strip(), True
    if unit_l == "x" and lowered.endswith("×"):
        return cleaned[:-1].strip(), True
    return cleaned, True


def parse_number(text: str, *, unit: str | None = None) -> float:
    """Read a typed number: 0.0157, 1.5e-2, 4/255, 12.5%, 1_000 or 1,000.

    With a `unit`, the learner may type it after the number; when the unit itself is a
    percentage, "4.4%" means 4.4.
    """
    stripped, percent_is_fraction = _strip_unit(text, unit)
    cleaned = stripped.replace("_", "").replace(" ", "")
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", cleaned):
        cleaned = cleaned.replace(",", "")
    if not cleaned:
        raise AnswerFormatError("no answer given")
    percent = percent_is_fraction and cleaned.endswith("%")
    if percent:
        cleaned = cleaned[:-1]
    try:
        if "/" in cleaned:
            num, _, den = cleaned.partition("/")
            if not (_NUMBER.match(num) and _NUMBER.match(den)):
                raise ValueError
            value = float(Fraction(num) / Fraction(den))
        elif _NUMBER.match(cleaned):
            value = float(cleaned)
        else:
            raise ValueError
    except (ValueError, ZeroDivisionError):
        raise AnswerFormatError(
            f"{text.strip()!r} is not a number (try 0.0157, 1.5e-2 or 4/255)"
        ) from None
    if not math.isfinite(value):
        raise AnswerFormatError("the number must be finite")
    return value / 100 if percent else value


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    """Wrong -> Again; right -> Good; right but slow or after a hint -> Hard (DESIGN.md)."""
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
