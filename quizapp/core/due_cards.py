"""What a drill covers and what is due in it: the cards of a deck or tag, which of them are
due now (reviews by the study day, learning steps within the learn-ahead limit: 20 minutes
unless `quizapp config learn-ahead` says otherwise), and `due_outlook()`: what comes due when
(in minutes, later today, tomorrow), for summaries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from quizapp.core.fsrs_scheduler import CardState, card_key
from quizapp.core.interview_pacing import review_cutoff
from quizapp.core.models import Card, Deck
from quizapp.core.study_days import as_utc, end_of_day, end_of_tomorrow, local_tz, minutes_until

LEARN_AHEAD = timedelta(minutes=20)  # Anki's learn-ahead limit (the default)
LEARN_AHEAD_MAX_MINUTES = 1440  # a day: beyond that every learning step would be "due"
SOON = timedelta(hours=1)  # learning steps due within this are counted in minutes


def parse_learn_ahead(text: str) -> timedelta:
    """Minutes, 0 to LEARN_AHEAD_MAX_MINUTES. Raises ValueError with a message fit for the
    learner, naming the valid range."""
    try:
        minutes = int(text.strip().lower().removesuffix("min").removesuffix("m").strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a whole number of minutes") from None
    if not 0 <= minutes <= LEARN_AHEAD_MAX_MINUTES:
        raise ValueError(
            f"the learn-ahead limit is between 0 and {LEARN_AHEAD_MAX_MINUTES} minutes, "
            f"not {minutes}"
        )
    return timedelta(minutes=minutes)


def select_cards(
    decks: Iterable[Deck], deck: str | None = None, tag: str | None = None
) -> list[tuple[str, Card]]:
    """(deck id, card) of one deck or all, optionally only cards with a tag, in deck order."""
    return [
        (d.deck, card)
        for d in decks
        if deck is None or d.deck == deck
        for card in d.cards
        if tag is None or tag in card.tags
    ]


def is_due(
    state: CardState, now: datetime, cutoff: datetime, learn_ahead: timedelta = LEARN_AHEAD
) -> bool:
    """Due in a session started at `now`: a review due before the cutoff (see
    `review_cutoff`), a learning step due within the learn-ahead limit."""
    if state.learning:
        return state.due <= now + learn_ahead
    return state.due < cutoff


@dataclass(frozen=True)
class DueOutlook:
    """When the scheduled cards of a scope come due, as seen at `now`.

    Learning steps are due by the minute and counted as such; reviews are due by the study
    day (a review due at 15:00 today is due now, as in Anki)."""

    now: datetime
    due_now: int  # reviews due today, learning steps already due
    soon: tuple[int, ...]  # minutes until each learning step due within SOON, sorted
    later_today: tuple[datetime, ...]  # learning steps due after that, before the day ends
    tomorrow: int  # cards due during tomorrow's study day

    @property
    def today(self) -> int:
        """Cards due from now to the end of today (now included)."""
        return self.due_now + len(self.soon) + len(self.later_today)

    def describe(self, tz: tzinfo | None = None) -> str:
        """E.g. "19 cards due again in 1-10 min, 1 later today (from 15:40); 3 tomorrow"."""
        parts = []
        if self.due_now:
            parts.append(f"{_cards(self.due_now)} due now")
        if self.soon:
            low, high = self.soon[0], self.soon[-1]
            span = f"{low}" if low == high else f"{low}-{high}"
            parts.append(f"{_cards(len(self.soon))} due again in {span} min")
        if self.later_today:
            first = self.later_today[0].astimezone(tz or local_tz())
            parts.append(f"{len(self.later_today)} later today (from {first:%H:%M})")
        today = ", ".join(parts) if parts else "nothing more today"
        return f"{today}; {self.tomorrow or 'none'} tomorrow"


def _cards(n: int) -> str:
    return f"{n} card{'s' * (n != 1)}"


def due_outlook(
    states: Iterable[CardState],
    now: datetime,
    *,
    interview: date | None = None,
    tz: tzinfo | None = None,
) -> DueOutlook:
    now = as_utc(now)
    cutoff = review_cutoff(now, interview, tz)
    today_end = end_of_day(now, tz)
    tomorrow_end = end_of_tomorrow(now, tz)
    due_now = tomorrow = 0
    soon: list[int] = []
    later: list[datetime] = []
    for state in states:
        if state.learning:
            if state.due <= now:
                due_now += 1
            elif state.due <= now + SOON:
                soon.append(minutes_until(state.due, now))
            elif state.due < today_end:
                later.append(state.due)
            elif state.due < tomorrow_end:
                tomorrow += 1
        elif state.due < cutoff:
            due_now += 1
        elif state.due < tomorrow_end:
            tomorrow += 1
    return DueOutlook(now, due_now, tuple(sorted(soon)), tuple(sorted(later)), tomorrow)


@dataclass(frozen=True)
class ScopeCounts:
    cards: int
    due: int
    new: int


def scope_counts(
    cards: Iterable[tuple[str, Card]],
    states: dict[str, CardState],
    now: datetime,
    cutoff: datetime,
    learn_ahead: timedelta = LEARN_AHEAD,
) -> ScopeCounts:
    total = due = new = 0
    for deck, card in cards:
        total += 1
        state = states.get(card_key(deck, card.id))
        if state is None:
            new += 1
        elif is_due(state, now, cutoff, learn_ahead):
            due += 1
    return ScopeCounts(total, due, new)
