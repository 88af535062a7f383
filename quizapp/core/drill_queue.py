"""The queue of one drill session, as Anki builds it: learning cards that have come due, then
due reviews (most overdue first), then new cards up to the session's limit; learning cards come
back within the session when their step is due (or, when nothing else is left, up to the
learn-ahead limit early). New cards are taken round-robin across decks and, within a deck,
with its card types spread evenly, so that a deck whose generated cards come last still shows
one early. Cram sessions show cards without changing the schedule.

Pure: storage writes the states and screens show the cards; `now` is injected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from fsrs import Rating, State

from quizapp.core.due_cards import LEARN_AHEAD
from quizapp.core.fsrs_scheduler import CardState, became_leech, card_key, retrievability
from quizapp.core.interview_pacing import review_cutoff
from quizapp.core.models import Card
from quizapp.core.study_days import as_utc, end_of_day

CRAM_AGAIN_DELAY = timedelta(minutes=1)  # a card missed in cram comes back in the session
DEFAULT_NEW_PER_SESSION = 20
MAX_NEW_PER_SESSION = 500  # well above every shipped deck together (282 cards)


def parse_new_per_session(text: str) -> int:
    """New cards a drill session introduces: one rule for `config new-per-session` and
    `drill --limit`. Raises ValueError with the valid range."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a whole number") from None
    if not 0 <= value <= MAX_NEW_PER_SESSION:
        raise ValueError(
            f"{value} is out of range: new cards per session go from 0 to "
            f"{MAX_NEW_PER_SESSION} (0: reviews only)"
        )
    return value


@dataclass(frozen=True)
class SessionCard:
    """One card as the session shows it."""

    deck: str
    card: Card
    state: CardState | None  # None: a new card

    @property
    def key(self) -> str:
        return card_key(self.deck, self.card.id)

    def shown_early_by(self, now: datetime) -> timedelta | None:
        """How long before its step is due a learning card is shown (learn-ahead), or None."""
        if self.state is None or not self.state.learning or self.state.due <= now:
            return None
        return self.state.due - now

    @property
    def kind(self) -> str:
        """new | learning | relearning | review."""
        if self.state is None:
            return "new"
        return {State.Learning: "learning", State.Relearning: "relearning"}.get(
            self.state.state, "review"
        )


@dataclass(frozen=True)
class QueueCounts:
    new: int
    learning: int  # (re)learning cards shown within the learn-ahead limit
    review: int
    later: int  # learning cards due again later today, beyond the learn-ahead limit

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class SessionReview:
    """One answer given in the session (what the summary counts)."""

    key: str
    rating: Rating
    correct: bool  # auto-graded verdict (after any override); self-rated: not Again
    duration_ms: int
    was_new: bool
    review_id: int | None = None
    leech: bool = False


@dataclass(frozen=True)
class SessionSummary:
    reviews: int
    cards: int
    correct: int
    new_cards: int
    total_ms: int
    ratings: dict[Rating, int]
    leeches: tuple[str, ...]

    @property
    def correct_rate(self) -> float | None:
        return self.correct / self.reviews if self.reviews else None


@dataclass
class _Snapshot:
    learning: list[tuple[datetime, str]]
    review: list[str]
    new: list[str]
    state: CardState | None  # None: the card was new


@dataclass
class DrillSession:
    """The queue of one drill (or cram) session. Pure: storage writes happen elsewhere.

    Build it with `DrillSession.build`; ask `next_card(now)`, then `record(...)` the answer
    (with the state storage saved), `undo()` to take the last answer back.
    """

    cards: dict[str, SessionCard]  # key -> card, every card the session may show
    states: dict[str, CardState]
    cram: bool = False
    learning: list[tuple[datetime, str]] = field(default_factory=list)  # (due, key), sorted
    review_queue: list[str] = field(default_factory=list)
    new_queue: list[str] = field(default_factory=list)
    day_end: datetime | None = None  # learning steps due after this wait for another day
    learn_ahead: timedelta = LEARN_AHEAD
    log: list[SessionReview] = field(default_factory=list)
    _undo: list[_Snapshot] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        cards: Iterable[tuple[str, Card]],
        states: dict[str, CardState],
        now: datetime,
        *,
        new_limit: int = DEFAULT_NEW_PER_SESSION,
        cram: bool = False,
        interview: date | None = None,
        tz: tzinfo | None = None,
        learn_ahead: timedelta = LEARN_AHEAD,
    ) -> DrillSession:
        """`cards`: (deck id, card) in deck order. New cards are taken round-robin across
        decks, so a session over all decks touches every topic, and within a deck with its
        card types spread evenly over the deck's order (see `_spread_types`)."""
        now = as_utc(now)
        by_key: dict[str, SessionCard] = {}
        for deck, card in cards:
            key = card_key(deck, card.id)
            by_key[key] = SessionCard(deck, card, states.get(key))
        known = {k: s for k, s in states.items() if k in by_key}
        session = cls(cards=by_key, states=dict(known), cram=cram, learn_ahead=learn_ahead)
        unseen = _spread_types(
            [k for k in by_key if k not in known], kind=lambda k: by_key[k].card.type
        )
        new_keys = _round_robin(unseen, key=lambda k: by_key[k].deck)[: max(0, new_limit)]
        if cram:
            # Everything seen, weakest first (lowest recall now), then new cards to preview.
            seen = sorted(known, key=lambda k: retrievability(known[k], now))
            session.review_queue = seen
            session.new_queue = new_keys
            return session
        cutoff = review_cutoff(now, interview, tz)
        session.day_end = end_of_day(now, tz)
        # Learning cards due later today are in the session too: they come back when their
        # step is due (next_card holds them back until then).
        due = [k for k, s in known.items() if s.due < cutoff]
        session.learning = sorted((known[k].due, k) for k in due if known[k].learning)
        session.review_queue = sorted(
            (k for k in due if not known[k].learning), key=lambda k: (known[k].due, k)
        )
        session.new_queue = new_keys
        return session

    def card(self, key: str) -> SessionCard:
        base = self.cards[key]
        return replace(base, state=self.states.get(key))

    def next_card(self, now: datetime) -> SessionCard | None:
        """Learning cards that are due, then reviews, then new cards, then learning cards due
        within the learn-ahead limit; None when the session is over."""
        now = as_utc(now)
        if self.learning and self.learning[0][0] <= now:
            return self.card(self.learning[0][1])
        if self.review_queue:
            return self.card(self.review_queue[0])
        if self.new_queue:
            return self.card(self.new_queue[0])
        if self.learning and self.learning[0][0] <= now + self.learn_ahead:
            return self.card(self.learning[0][1])
        return None

    def counts(self, now: datetime) -> QueueCounts:
        now = as_utc(now)
        soon = sum(1 for due, _ in self.learning if due <= now + self.learn_ahead)
        return QueueCounts(
            new=len(self.new_queue),
            learning=soon,
            review=len(self.review_queue),
            later=len(self.learning) - soon,
        )

    def next_learning_due(self) -> datetime | None:
        return self.learning[0][0] if self.learning else None

    def record(
        self,
        key: str,
        rating: Rating | int,
        now: datetime,
        *,
        new_state: CardState | None = None,
        correct: bool | None = None,
        duration_ms: int = 0,
        review_id: int | None = None,
    ) -> SessionReview:
        """Take the answer to `key` out of the queue. `new_state`: the state storage saved
        (ignored in cram, where the schedule does not change)."""
        now = as_utc(now)
        rating = Rating(rating)
        before = self.states.get(key)
        self._undo.append(
            _Snapshot(
                list(self.learning),
                list(self.review_queue),
                list(self.new_queue),
                before,
            )
        )
        self._remove(key)
        leech = False
        if self.cram:
            if rating == Rating.Again:
                self._requeue(key, now + CRAM_AGAIN_DELAY)
        else:
            if new_state is None:
                raise ValueError("a drill review needs the card's new state")
            self.states[key] = new_state
            leech = became_leech(before, new_state)
            if new_state.learning and (self.day_end is None or new_state.due < self.day_end):
                self._requeue(key, new_state.due)
        entry = SessionReview(
            key=key,
            rating=rating,
            correct=(rating != Rating.Again) if correct is None else correct,
            duration_ms=duration_ms,
            was_new=before is None,
            review_id=review_id,
            leech=leech,
        )
        self.log.append(entry)
        return entry

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> SessionReview:
        """Take the last answer back: the queue and the card's state are as they were."""
        if not self._undo:
            raise IndexError("nothing to undo")
        snapshot = self._undo.pop()
        entry = self.log.pop()
        self.learning = snapshot.learning
        self.review_queue = snapshot.review
        self.new_queue = snapshot.new
        if snapshot.state is not None:
            self.states[entry.key] = snapshot.state
        else:
            self.states.pop(entry.key, None)
        return entry

    def summary(self) -> SessionSummary:
        ratings = {rating: 0 for rating in Rating}
        for entry in self.log:
            ratings[entry.rating] += 1
        return SessionSummary(
            reviews=len(self.log),
            cards=len({e.key for e in self.log}),
            correct=sum(e.correct for e in self.log),
            new_cards=len({e.key for e in self.log if e.was_new}),
            total_ms=sum(e.duration_ms for e in self.log),
            ratings=ratings,
            leeches=tuple(dict.fromkeys(e.key for e in self.log if e.leech)),
        )

    def _remove(self, key: str) -> None:
        self.learning = [(due, k) for due, k in self.learning if k != key]
        self.review_queue = [k for k in self.review_queue if k != key]
        self.new_queue = [k for k in self.new_queue if k != key]

    def _requeue(self, key: str, due: datetime) -> None:
        self.learning = sorted([*self.learning, (due, key)])


def _spread_types(keys: Sequence[str], kind: Any) -> list[str]:
    """`keys` (in deck order) with each card type spread evenly over the list, each type in
    its own order: the i-th of n cards of a type goes to about (i + 1/2) / n of the way.
    Decks are written topic by topic and often keep their generated cards for the end (cards
    43-56 of int8-math); spread out, a 20-card session meets every type of its decks."""
    by_kind: dict[str, list[tuple[int, str]]] = {}
    for position, item in enumerate(keys):
        by_kind.setdefault(kind(item), []).append((position, item))
    placed = [
        ((i + 0.5) / len(items), position, item)
        for items in by_kind.values()
        for i, (position, item) in enumerate(items)
    ]
    return [item for *_, item in sorted(placed)]


def _round_robin(keys: Sequence[str], key: Any) -> list[str]:
    groups: dict[str, list[str]] = {}
    for item in keys:
        groups.setdefault(key(item), []).append(item)
    out: list[str] = []
    columns = list(groups.values())
    for i in range(max((len(c) for c in columns), default=0)):
        out.extend(column[i] for column in columns if i < len(column))
    return out
