"""Per-card figures: each deck's counts (new, learning, review, mastered, due, leeches),
the forecast of due cards, and the list of leeches."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from fsrs import State
from pydantic.dataclasses import dataclass

from quizapp.core.due_cards import LEARN_AHEAD, is_due
from quizapp.core.fsrs_scheduler import LEECH_LAPSES, CardState, card_key
from quizapp.core.json_contract import CONTRACT, json_document
from quizapp.core.models import Deck
from quizapp.core.stats.recall import TARGET_RETENTION, recall_probability
from quizapp.core.study_days import day_start

FORECAST_DAYS = 14
COUNT_FIELDS = ("cards", "new", "learning", "review", "mastered", "due", "leeches")


@dataclass(frozen=True, config=CONTRACT)
class DeckProgress:
    deck: str
    title: str
    cards: int = 0
    new: int = 0
    learning: int = 0
    review: int = 0
    mastered: int = 0
    due: int = 0
    leeches: int = 0

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


def deck_progress(
    decks: Sequence[Deck],
    states: Mapping[str, CardState],
    now: datetime,
    cutoff: datetime,
    learn_ahead: timedelta = LEARN_AHEAD,
) -> list[DeckProgress]:
    """Per deck, in library order; `due` as a session started now would count it."""
    found = []
    for deck in decks:
        prefix = deck.deck + "/"  # card_key, without a call per card (10,000 cards)
        cards = new = learning = review = mastered = due = leeches = 0
        for card in deck.cards:
            cards += 1
            state = states.get(prefix + card.id)
            if state is None:
                new += 1
                continue
            if state.state == State.Review:
                review += 1
                mastered += recall_probability(state, now) > TARGET_RETENTION
            else:
                learning += 1
            due += is_due(state, now, cutoff, learn_ahead)
            leeches += state.lapses >= LEECH_LAPSES
        found.append(
            DeckProgress(
                deck.deck, deck.title, cards, new, learning, review, mastered, due, leeches
            )
        )
    return found


def forecast(
    states: Iterable[CardState], today: date, tz: tzinfo, days: int = FORECAST_DAYS
) -> list[int]:
    """Cards due on each study day from today; today also counts what is overdue."""
    ends = [day_start(today + timedelta(days=i + 1), tz) for i in range(days)]
    counts = [0] * days
    for state in states:
        i = bisect_right(ends, state.due)  # the first day that ends after the due moment
        if i < days:
            counts[i] += 1
    return counts


@dataclass(frozen=True, config=CONTRACT)
class Leech:
    deck: str
    card: str
    lapses: int
    reps: int
    prompt: str

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


def first_line(text: str | None, limit: int = 100) -> str:
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def leeches(decks: Sequence[Deck], states: Mapping[str, CardState]) -> list[Leech]:
    """Cards of the library with 8 lapses or more, most lapses first."""
    found = []
    for deck in decks:
        for card in deck.cards:
            state = states.get(card_key(deck.deck, card.id))
            if state is not None and state.is_leech:
                prompt = card.prompt or f"generated: {getattr(card, 'generator', '')}"
                found.append(
                    Leech(deck.deck, card.id, state.lapses, state.reps, first_line(prompt))
                )
    found.sort(key=lambda leech: (-leech.lapses, leech.deck, leech.card))
    return found
