"""FSRS-6 through the `fsrs` package: a card's state after a review, and the interval each
rating would give.

- `review()`: the next `CardState` of a card for a rating, computed by `fsrs.Scheduler`
  (FSRS-6 default parameters, desired retention 0.9, the default learning steps 1 min and
  10 min and relearning step 10 min, UTC datetimes). Fuzz is off: py-fsrs draws its fuzz
  from the global random generator, so a fuzzed schedule would not match the interval shown
  on the rating button; with a few hundred interview cards, spreading the load matters less
  than buttons that tell the truth.
- `preview()`: the interval each rating would give, for the buttons.
- Leeches: a card whose lapses (a review card forgotten) reach 8 is flagged, and again at
  every 4 lapses more, as Anki does.

No I/O here: storage and screens call it with `now` injected.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from quizapp.core.json_contract import IsoDatetime, from_json_document, json_document
from quizapp.core.study_days import as_utc

DESIRED_RETENTION = 0.9
LEECH_LAPSES = 8
LEECH_REPEAT = 4  # warn again every half-threshold, as Anki does
RATING_NAMES = {
    Rating.Again: "Again",
    Rating.Hard: "Hard",
    Rating.Good: "Good",
    Rating.Easy: "Easy",
}


def make_scheduler() -> Scheduler:
    return Scheduler(desired_retention=DESIRED_RETENTION, enable_fuzzing=False)


SCHEDULER = make_scheduler()


def card_key(deck: str, card: str) -> str:
    """The stable identity of a card: progress is keyed by `deck/card`."""
    return f"{deck}/{card}"


def fsrs_card_id(key: str) -> int:
    """A stable integer for `fsrs.Card.card_id` (its default sleeps 1 ms and is not stable)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=6).digest(), "big")


@dataclass(frozen=True)
class CardState:
    """What the schedule knows of one card that has been reviewed at least once. Its JSON form
    (`to_dict`, kept with each review for undo) writes `state` as its number; `reps` and
    `lapses` default to 0 for what older versions wrote."""

    deck: str
    card: str
    state: State
    step: int | None
    stability: float | None
    difficulty: float | None
    due: IsoDatetime
    last_review: IsoDatetime | None
    reps: int = 0
    lapses: int = 0

    @property
    def key(self) -> str:
        return card_key(self.deck, self.card)

    @property
    def learning(self) -> bool:
        """In (re)learning steps: due again within minutes, not days."""
        return self.state in (State.Learning, State.Relearning)

    @property
    def is_leech(self) -> bool:
        return self.lapses >= LEECH_LAPSES

    def to_fsrs(self) -> FsrsCard:
        return FsrsCard(
            card_id=fsrs_card_id(self.key),
            state=self.state,
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
        )

    def to_dict(self) -> dict[str, Any]:
        return json_document(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CardState:
        return from_json_document(cls, data)


def new_fsrs_card(deck: str, card: str, now: datetime) -> FsrsCard:
    return FsrsCard(card_id=fsrs_card_id(card_key(deck, card)), due=as_utc(now))


def review(
    state: CardState | None,
    deck: str,
    card: str,
    rating: Rating | int,
    now: datetime,
    *,
    duration_ms: int | None = None,
    scheduler: Scheduler = SCHEDULER,
) -> CardState:
    """The card's state after a review with `rating` at `now` (`state` None: a new card)."""
    now = as_utc(now)
    rating = Rating(rating)
    before = state.to_fsrs() if state else new_fsrs_card(deck, card, now)
    after, _log = scheduler.review_card(before, rating, now, duration_ms)
    lapsed = state is not None and state.state == State.Review and rating == Rating.Again
    return CardState(
        deck=deck,
        card=card,
        state=after.state,
        step=after.step,
        stability=after.stability,
        difficulty=after.difficulty,
        due=after.due,
        last_review=after.last_review,
        reps=(state.reps if state else 0) + 1,
        lapses=(state.lapses if state else 0) + int(lapsed),
    )


def preview(
    state: CardState | None,
    deck: str,
    card: str,
    now: datetime,
    scheduler: Scheduler = SCHEDULER,
) -> dict[Rating, timedelta]:
    """The interval each rating would give now (what the rating buttons show)."""
    now = as_utc(now)
    return {
        rating: review(state, deck, card, rating, now, scheduler=scheduler).due - now
        for rating in Rating
    }


def became_leech(before: CardState | None, after: CardState) -> bool:
    """True when this review made the card a leech, or a leech again (8, 12, 16... lapses)."""
    if after.lapses < LEECH_LAPSES or (before is not None and after.lapses == before.lapses):
        return False
    return (after.lapses - LEECH_LAPSES) % LEECH_REPEAT == 0


def retrievability(state: CardState, now: datetime, scheduler: Scheduler = SCHEDULER) -> float:
    return scheduler.get_card_retrievability(state.to_fsrs(), as_utc(now))
