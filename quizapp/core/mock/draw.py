"""A mock's set-up and the questions it draws: weighted towards the cards the learner misses,
spread over card types, difficulties and decks."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import ValidationError

from quizapp.core.json_contract import NoneAsEmpty, from_json_document, json_document
from quizapp.core.models import Card, Deck
from quizapp.core.questions import Question, instantiate
from quizapp.core.scope import ScopeError, select_cards

DEFAULT_MINUTES = 15.0
DEFAULT_QUESTIONS = 10
# Drawing: each card already drawn of the same type, difficulty or deck makes the next one of
# that kind less likely, so a mock mixes them without forbidding a deck that is all one type.
TYPE_SPREAD = 0.35
DIFFICULTY_SPREAD = 0.7
DECK_SPREAD = 0.7
# A card the learner always gets right still turns up now and then.
MIN_WEIGHT = 0.2


class MockSetupError(ValueError):
    """The set-up asks for something the decks cannot give (unknown deck, too few cards...)."""


@dataclass(frozen=True)
class MockSetup:
    minutes: float = DEFAULT_MINUTES
    questions: int = DEFAULT_QUESTIONS
    decks: Annotated[tuple[str, ...], NoneAsEmpty] = ()  # empty: every deck
    # empty: any card; else cards with at least one of the tags
    tags: Annotated[tuple[str, ...], NoneAsEmpty] = ()
    per_question_s: float | None = None
    seed: int | None = None  # None: drawn at random (the drawn seed is stored with the mock)

    def __post_init__(self) -> None:
        if not (self.minutes > 0 and math.isfinite(self.minutes)):
            raise MockSetupError("minutes: must be a number greater than 0")
        if self.questions < 1:
            raise MockSetupError("questions: must be at least 1")
        if self.per_question_s is not None and not (
            self.per_question_s > 0 and math.isfinite(self.per_question_s)
        ):
            raise MockSetupError("per-question limit: must be a number of seconds greater than 0")

    @property
    def time_limit_s(self) -> float:
        return self.minutes * 60.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, stored with each mock and as the last set-up."""
        return json_document(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MockSetup:
        try:
            return from_json_document(cls, data)
        except ValidationError as exc:
            raise MockSetupError(f"a stored mock set-up is unreadable: {exc}") from None


@dataclass(frozen=True)
class MissStat:
    """How often the learner has answered a card, and how often they got it wrong."""

    seen: int = 0
    missed: int = 0


def miss_weight(stat: MissStat | None) -> float:
    """Odds of a miss with one imagined right and one imagined wrong answer (Laplace).

    Unseen: 1. Missed 3 of 3: 4. Right 9 of 9: 0.1 -> floored at MIN_WEIGHT.
    """
    if stat is None:
        return 1.0
    right = max(stat.seen - stat.missed, 0)
    return max((stat.missed + 1) / (right + 1), MIN_WEIGHT)


def candidate_cards(decks: Sequence[Deck], setup: MockSetup) -> list[tuple[str, Card]]:
    """The cards a mock with this set-up draws from (the `--deck`/`--tag` scope of
    core.scope); errors name what was asked for."""
    try:
        pool = select_cards(decks, setup.decks, setup.tags)
    except ScopeError as exc:
        raise MockSetupError(str(exc)) from None
    if len(pool) < setup.questions:
        raise MockSetupError(
            f"only {len(pool)} question{'s' * (len(pool) != 1)} match this set-up, "
            f"{setup.questions} were asked for (ask for at most {len(pool)})"
        )
    return pool


def draw_cards(
    pool: Sequence[tuple[str, Card]],
    count: int,
    misses: Mapping[str, MissStat],
    rng: random.Random,
) -> list[tuple[str, Card]]:
    """Weighted draw without replacement: often-missed cards first in line, kinds mixed.

    A card's chance is its miss weight times a spreading factor for each card of the same type,
    difficulty and deck already drawn. The factors are the same for every card of a (type,
    difficulty, deck) group, so each draw picks a group, then a card in it: the same
    distribution as weighing every card, at the cost of the groups rather than the pool.
    """
    base = [miss_weight(misses.get(f"{deck}/{card.id}")) for deck, card in pool]
    groups: dict[tuple[str, str, str], list[int]] = {}
    for index, (deck, card) in enumerate(pool):
        groups.setdefault((card.type, card.difficulty, deck), []).append(index)
    totals = {key: sum(base[i] for i in members) for key, members in groups.items()}
    types: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    drawn: list[tuple[str, Card]] = []
    for _ in range(min(count, len(pool))):
        keys = [key for key, members in groups.items() if members]
        weights = [
            totals[key]
            * TYPE_SPREAD ** types[key[0]]
            * DIFFICULTY_SPREAD ** levels[key[1]]
            * DECK_SPREAD ** topics[key[2]]
            for key in keys
        ]
        key = rng.choices(keys, weights=weights)[0]
        members = groups[key]
        position = rng.choices(range(len(members)), weights=[base[i] for i in members])[0]
        chosen = members.pop(position)
        totals[key] = sum(base[i] for i in members)
        kind, level, deck = key
        types[kind] += 1
        levels[level] += 1
        topics[deck] += 1
        drawn.append(pool[chosen])
    # The draw order puts the most-missed first; the interview order should not tell.
    rng.shuffle(drawn)
    return drawn


def draw_questions(
    decks: Sequence[Deck],
    setup: MockSetup,
    misses: Mapping[str, MissStat] | None = None,
    seed: int | None = None,
) -> list[Question]:
    """The questions of a new mock. Same decks, set-up, statistics and seed: same questions.

    Every question gets its own seed from the mock's, so generated cards draw fresh numbers.
    """
    seed = setup.seed if seed is None else seed
    if seed is None:
        raise ValueError("draw_questions needs a seed (MockSetup.seed or the seed argument)")
    rng = random.Random(seed)
    pool = candidate_cards(decks, setup)
    chosen = draw_cards(pool, setup.questions, misses or {}, rng)
    return [instantiate(deck, card, rng.randrange(2**31)) for deck, card in chosen]
