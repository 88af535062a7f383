"""Spaced repetition: FSRS-6 through the `fsrs` package, and the queue of one drill session.

What this module decides (no I/O here; storage and screens call it with `now` injected):

- `review()`: the next `CardState` of a card for a rating, computed by `fsrs.Scheduler`
  (FSRS-6 default parameters, desired retention 0.9, the default learning steps 1 min and
  10 min and relearning step 10 min, UTC datetimes). Fuzz is off: py-fsrs draws its fuzz
  from the global random generator, so a fuzzed schedule would not match the interval shown
  on the rating button; with a few hundred interview cards, spreading the load matters less
  than buttons that tell the truth.
- `preview()`: the interval each rating would give, for the buttons.
- `DrillSession`: the queue of one session, as Anki builds it: learning cards that have come
  due, then due reviews (most overdue first), then new cards up to the session's limit;
  learning cards come back within the session when their step is due (or, when nothing else
  is left, up to the learn-ahead limit early: 20 minutes unless `quizapp config learn-ahead`
  says otherwise). New cards are taken round-robin across decks and, within a deck, with its
  card types spread evenly, so that a deck whose generated cards come last still shows one
  early. Cram sessions show cards without changing the schedule.
- `due_outlook()`: what comes due when (in minutes, later today, tomorrow), for summaries.
- Leeches: a card whose lapses (a review card forgotten) reach 8 is flagged, and again at
  every 4 lapses more, as Anki does.
- The interview date: see `new_card_quota` and `review_cutoff`.

Days follow the learner's clock: a day starts at 04:00 local time (Anki's default), so a
session at 1 a.m. still belongs to the evening before.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from quizapp.core.models import Card, Deck

DESIRED_RETENTION = 0.9
LEARN_AHEAD = timedelta(minutes=20)  # Anki's learn-ahead limit (the default)
LEARN_AHEAD_MAX_MINUTES = 1440  # a day: beyond that every learning step would be "due"
SOON = timedelta(hours=1)  # learning steps due within this are counted in minutes
CRAM_AGAIN_DELAY = timedelta(minutes=1)  # a card missed in cram comes back in the session
LEECH_LAPSES = 8
LEECH_REPEAT = 4  # warn again every half-threshold, as Anki does
DEFAULT_NEW_PER_SESSION = 20
MAX_NEW_PER_SESSION = 500  # well above every shipped deck together (282 cards)
DAY_STARTS_AT = 4  # local hour at which a new study day begins (Anki's default)
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


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: scheduling works in UTC only")
    return moment.astimezone(UTC)


# --- card state -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CardState:
    """What the schedule knows of one card that has been reviewed at least once."""

    deck: str
    card: str
    state: State
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
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
        data = asdict(self)
        data["state"] = int(self.state)
        data["due"] = self.due.isoformat()
        data["last_review"] = self.last_review.isoformat() if self.last_review else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CardState:
        return cls(
            deck=data["deck"],
            card=data["card"],
            state=State(data["state"]),
            step=data["step"],
            stability=data["stability"],
            difficulty=data["difficulty"],
            due=datetime.fromisoformat(data["due"]),
            last_review=(
                datetime.fromisoformat(data["last_review"]) if data["last_review"] else None
            ),
            reps=data.get("reps", 0),
            lapses=data.get("lapses", 0),
        )


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


def format_interval(delta: timedelta) -> str:
    """Anki-style short intervals: <1m, 10m, 3h, 11d, 2.1mo, 1.4y."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return "<1m"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f}m"
    hours = minutes / 60
    if hours < 24:
        return f"{hours:.0f}h"
    days = hours / 24
    if days < 30:
        return f"{days:.0f}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def format_duration(ms: int | float) -> str:
    """A session's or a card's time: 42s, 3:05, 1:02:07."""
    total = int(round(ms / 1000))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    if minutes:
        return f"{minutes}:{seconds:02d}"
    return f"{seconds}s"


# --- days -----------------------------------------------------------------------------------


def local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def study_day(moment: datetime, tz: tzinfo | None = None) -> date:
    """The learner's study day of a moment (days start at DAY_STARTS_AT local time)."""
    local = moment.astimezone(tz or local_tz())
    return (local - timedelta(hours=DAY_STARTS_AT)).date()


def day_start(day: date, tz: tzinfo | None = None) -> datetime:
    """The UTC moment a study day begins."""
    local = datetime.combine(day, time(DAY_STARTS_AT), tzinfo=tz or local_tz())
    return local.astimezone(UTC)


def end_of_day(moment: datetime, tz: tzinfo | None = None) -> datetime:
    return day_start(study_day(moment, tz) + timedelta(days=1), tz)


def end_of_tomorrow(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """Cards due before this are what a session tomorrow would hold (new cards aside)."""
    return day_start(study_day(moment, tz) + timedelta(days=2), tz)


# --- the interview date -----------------------------------------------------------------------


def parse_interview_date(text: str) -> date:
    """`2026-12-15` (ISO). Raises ValueError with a message fit for the learner."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text.strip()!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-15"
        ) from None


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


def days_before_interview(today: date, interview: date) -> int:
    """Study days left before the interview day (today counts, the interview day does not)."""
    return (interview - today).days


def new_card_quota(
    session_limit: int,
    *,
    unseen: int,
    introduced_today: int = 0,
    today: date,
    interview: date | None,
) -> int:
    """New cards this session may introduce.

    Without an interview date it is the session limit. With one, the pace is raised so that
    every card has been seen before the interview day: the cards still unseen this morning
    (`unseen + introduced_today`) are spread evenly over the study days left (today up to the
    eve), and the quota is what today still owes to that pace, if that is more than the
    session limit. On or after the interview day the date no longer changes anything.
    """
    days_left = days_before_interview(today, interview) if interview else 0
    if days_left <= 0:
        return session_limit
    daily = math.ceil((unseen + introduced_today) / days_left)
    return max(session_limit, min(unseen, daily - introduced_today))


def review_cutoff(now: datetime, interview: date | None, tz: tzinfo | None = None) -> datetime:
    """Reviews due before this moment belong to a session started at `now`.

    Normally the end of today (reviews are due by the day, as in Anki). With an interview
    date, reviews are pulled forward: on the eve of the interview, the reviews that would come
    due on the interview day itself are due now, so that the last pass over them happens
    before the interview rather than on its morning. Reviews due later than that need no
    pulling: FSRS places every due date where the predicted recall falls to the desired
    retention (0.9), so a card due after the interview is still above 90% on the day. What
    remains at risk is a card never seen at all, which `new_card_quota` prevents.
    """
    cutoff = end_of_day(now, tz)
    if interview is not None and study_day(now, tz) + timedelta(days=1) == interview:
        cutoff = day_start(interview + timedelta(days=1), tz)
    return cutoff


@dataclass(frozen=True)
class InterviewPlan:
    """What the interview date means today, for the screens and stats."""

    interview: date
    days_left: int  # study days before the interview day
    unseen: int
    new_per_day: int  # the pace that sees every card before the day

    def describe(self) -> str:
        if self.days_left < 0:
            return f"Interview date {self.interview.isoformat()} has passed."
        if self.days_left == 0:
            return f"Interview today ({self.interview.isoformat()}). Good luck!"
        days = f"{self.days_left} day{'s' * (self.days_left != 1)}"
        text = f"Interview on {self.interview.isoformat()}: {days} to go."
        if self.unseen:
            text += (
                f" {self.unseen} card{'s' * (self.unseen != 1)} never seen: at least "
                f"{self.new_per_day} new a day to see them all in time."
            )
        else:
            text += " Every card has been seen."
        return text


def interview_plan(interview: date, today: date, unseen: int) -> InterviewPlan:
    days_left = days_before_interview(today, interview)
    pace = math.ceil(unseen / days_left) if days_left > 0 else unseen
    return InterviewPlan(interview, days_left, unseen, pace)


# --- what a session covers ------------------------------------------------------------------


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


def minutes_until(moment: datetime, now: datetime) -> int:
    """Whole minutes from `now` to `moment`, rounded up (a step due in 30 s is "in 1 min")."""
    return max(0, math.ceil((moment - now).total_seconds() / 60))


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


# --- the session queue ------------------------------------------------------------------------


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
