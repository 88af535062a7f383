"""Figures over the review log: true retention per window, daily activity and streaks,
the calendar's shades, and the weakest decks and tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import Field, computed_field
from pydantic.dataclasses import dataclass

from quizapp.core.fsrs_scheduler import card_key
from quizapp.core.json_contract import CONTRACT, Round1, Round4, json_document
from quizapp.core.models import Deck

RETENTION_WINDOWS = (7, 30, 90)
MAIN_RETENTION_WINDOW = 30
WEAK_WINDOW_DAYS = 30
WEAK_MIN_REVIEWS = 20
WEAK_LIMIT = 5
HEAT_LEVELS = 4  # non-zero shades of the calendar


@dataclass(frozen=True, config=CONTRACT)
class RetentionWindow:
    days: int
    reviews: int
    passed: int

    @computed_field(return_type=Round4 | None)  # type: ignore[prop-decorator]  # mypy rejects a decorated property; pydantic's documented way
    @property
    def rate(self) -> float | None:
        return self.passed / self.reviews if self.reviews else None

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


def retention_windows(
    daily: Sequence[tuple[int, int]], windows: Sequence[int] = RETENTION_WINDOWS
) -> list[RetentionWindow]:
    """True retention over the last `days` study days (today included) for each window."""
    found = []
    for days in windows:
        recent = daily[-days:] if days else []
        found.append(RetentionWindow(days, sum(r for r, _ in recent), sum(p for _, p in recent)))
    return found


@dataclass(frozen=True, config=CONTRACT)
class Activity:
    first: Annotated[date, Field(serialization_alias="from")]
    last: Annotated[date, Field(serialization_alias="to")]
    daily: tuple[int, ...]
    days_active: int
    streak: int  # consecutive study days with reviews, up to today (or yesterday)
    longest_streak: int
    average: Round1 | None  # reviews per active day

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


def activity(daily: Sequence[int], today: date) -> Activity:
    """Summary of per-day review counts (oldest first, the last one is today). A streak
    that has not been extended yet today still counts until the day is over."""
    counts = tuple(daily)
    active = [c for c in counts if c]
    longest = run = 0
    for count in counts:
        run = run + 1 if count else 0
        longest = max(longest, run)
    streak = 0
    tail = counts[:-1] if counts and not counts[-1] else counts
    for count in reversed(tail):
        if not count:
            break
        streak += 1
    return Activity(
        first=today - timedelta(days=len(counts) - 1),
        last=today,
        daily=counts,
        days_active=len(active),
        streak=streak,
        longest_streak=longest,
        average=sum(active) / len(active) if active else None,
    )


def heat_levels(daily: Sequence[int], levels: int = HEAT_LEVELS) -> list[int]:
    """0 for a day without reviews, else 1..levels by where the count falls among the active
    days (quantiles, as GitHub's calendar does), so one huge day does not wash out the rest."""
    active = sorted(c for c in daily if c)
    if not active:
        return [0] * len(daily)
    cuts = [active[min(len(active) - 1, (len(active) * k) // levels)] for k in range(1, levels)]
    return [0 if not c else 1 + sum(c > cut for cut in cuts) for c in daily]


@dataclass(frozen=True, config=CONTRACT)
class WeakSpot:
    name: str
    reviews: int
    again: int

    @computed_field(return_type=Round4)  # type: ignore[prop-decorator]  # mypy rejects a decorated property; pydantic's documented way
    @property
    def accuracy(self) -> float:
        """A fraction in 0..1 (the share of answers that were not Again); the name is the
        `--json` field's, a contract."""
        return 1 - self.again / self.reviews

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


def weakest(
    totals: Mapping[str, tuple[int, int]],
    *,
    min_reviews: int = WEAK_MIN_REVIEWS,
    limit: int = WEAK_LIMIT,
) -> list[WeakSpot]:
    """The groups with the lowest accuracy (ties: more answers first, then by name), of those
    with at least `min_reviews` answers."""
    spots = [WeakSpot(name, n, again) for name, (n, again) in totals.items() if n >= min_reviews]
    spots.sort(key=lambda s: (s.accuracy, -s.reviews, s.name))
    return spots[:limit]


def recent_by_group(
    decks: Sequence[Deck], recent: Mapping[str, tuple[int, int]]
) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """Per-card (answers, again) summed per deck and per tag (cards of the library only)."""
    by_deck: dict[str, tuple[int, int]] = {}
    by_tag: dict[str, tuple[int, int]] = {}
    for deck in decks:
        for card in deck.cards:
            counts = recent.get(card_key(deck.deck, card.id))
            if counts is None:
                continue
            n, again = by_deck.get(deck.deck, (0, 0))
            by_deck[deck.deck] = (n + counts[0], again + counts[1])
            for tag in card.tags:
                n, again = by_tag.get(tag, (0, 0))
                by_tag[tag] = (n + counts[0], again + counts[1])
    return by_deck, by_tag
