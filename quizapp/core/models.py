"""Deck and card models (the YAML deck format: README, "Writing a deck"). Unknown keys are errors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=80)]
Text = Annotated[str, Field(min_length=1)]
Difficulty = Literal["easy", "medium", "hard"]
CARD_TYPES = ("flashcard", "choice", "numeric", "free", "generated")


class Strict(BaseModel):
    # Numbers are accepted where text is expected (`answer: 4` on a flashcard is fine).
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Tolerance(Strict):
    rel: Annotated[float, Field(ge=0)] | None = None
    abs: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Tolerance:
        if self.rel is None and self.abs is None:
            raise ValueError("give rel and/or abs")
        return self

    def accepts(self, given: float, expected: float) -> bool:
        """PrairieLearn-style: within abs, or within rel of the expected value."""
        diff = abs(given - expected)
        if self.abs is not None and diff <= self.abs:
            return True
        return self.rel is not None and diff <= self.rel * abs(expected)


DEFAULT_TOLERANCE = Tolerance(rel=0.01)


class CardBase(Strict):
    id: Slug
    prompt: Text
    explanation: str | None = None
    tags: list[Slug] = []
    difficulty: Difficulty = "medium"
    source: str | None = None


class FlashCard(CardBase):
    type: Literal["flashcard"]
    answer: Text


class ChoiceCard(CardBase):
    type: Literal["choice"]
    options: Annotated[list[Text], Field(min_length=2, max_length=9)]
    answer: int | Annotated[list[int], Field(min_length=1)]

    @field_validator("options")
    @classmethod
    def _distinct_options(cls, options: list[str]) -> list[str]:
        if len(set(options)) != len(options):
            raise ValueError("options must be distinct")
        return options

    @model_validator(mode="after")
    def _answer_in_range(self) -> ChoiceCard:
        answers = self.answer if isinstance(self.answer, list) else [self.answer]
        for index in answers:
            if not 0 <= index < len(self.options):
                raise ValueError(
                    f"answer: index {index} is out of range for {len(self.options)} options"
                )
        if len(set(answers)) != len(answers):
            raise ValueError("answer: an index is listed twice")
        return self

    @property
    def correct(self) -> frozenset[int]:
        return frozenset(self.answer if isinstance(self.answer, list) else [self.answer])

    @property
    def multiple(self) -> bool:
        """Select-all-that-apply: the answer was written as a list."""
        return isinstance(self.answer, list)


class NumericCard(CardBase):
    type: Literal["numeric"]
    answer: float
    tolerance: Tolerance = DEFAULT_TOLERANCE
    unit: str | None = None


class FreeCard(CardBase):
    type: Literal["free"]
    answer: Text
    key_points: Annotated[list[Text], Field(min_length=1)]


class GeneratedCard(Strict):
    id: Slug
    type: Literal["generated"]
    generator: Slug
    params: dict[str, Any] = {}
    prompt: str | None = None  # optional lead-in shown above the generated question
    explanation: str | None = None
    tags: list[Slug] = []
    difficulty: Difficulty = "medium"
    source: str | None = None


Card = Annotated[
    FlashCard | ChoiceCard | NumericCard | FreeCard | GeneratedCard,
    Field(discriminator="type"),
]


class Deck(Strict):
    deck: Slug
    title: Text
    description: str = ""
    cards: Annotated[list[Card], Field(min_length=1)]

    # Set by the loader (not part of the YAML): the file the deck came from.
    _path: str | None = PrivateAttr(default=None)

    @property
    def path(self) -> str | None:
        return self._path

    def card(self, card_id: str) -> Card:
        for card in self.cards:
            if card.id == card_id:
                return card
        raise KeyError(card_id)

    @property
    def hand_written(self) -> int:
        return sum(1 for card in self.cards if card.type != "generated")
