"""Progress figures: what `quizapp stats` prints and the stats screen shows.

Pure functions over records (card states, per-day counts, mock and exercise rows) with `now`
and the time zone injected; `storage.stats` runs the queries and calls `build_report`.

Definitions (the README repeats them for the learner):
- new / learning / review: never reviewed / in (re)learning steps / graduated to review.
- mastered: a review card whose FSRS retrievability now is above the 0.9 target, i.e. one
  whose last interval has not run out yet (a subset of review).
- true retention (Anki's definition): reviews of cards in the review state (not learning or
  relearning) in drills, only the first of each card per study day; Again is a fail, Hard,
  Good and Easy pass. Cram answers do not count (they do not move the schedule) nor do mock
  misses (a mock logs its misses only). Reported for the last 7, 30 and 90 study days.
- weakest decks and tags: the share of Again in drill and cram answers of the last 30 study
  days, for decks and tags with at least 20 such answers.
- forecast: the cards due on each of the next 14 study days; day 0 (today) also holds the
  overdue cards and the learning steps due later today.
- due tomorrow: cards due during tomorrow's study day only; what is due today (reviews, and
  learning steps due in minutes) is told apart in `outlook` (core.due_cards.due_outlook).
- reviews (`reviews_total`, `reviews_today`, activity): answers that moved a schedule, in
  drills and mocks, per study day for a year. Cram answers are logged apart and counted
  only as `cram_total`.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from fsrs import State

from quizapp.core.due_cards import LEARN_AHEAD, DueOutlook, due_outlook, is_due
from quizapp.core.fsrs_scheduler import (
    DESIRED_RETENTION,
    LEECH_LAPSES,
    SCHEDULER,
    CardState,
    card_key,
)
from quizapp.core.interview_pacing import interview_plan, review_cutoff
from quizapp.core.models import Deck
from quizapp.core.study_days import as_utc, day_start, study_day

TARGET_RETENTION = DESIRED_RETENTION
FORECAST_DAYS = 14
CALENDAR_DAYS = 365
PLOT_DAYS = 90
RETENTION_WINDOWS = (7, 30, 90)
MAIN_RETENTION_WINDOW = 30
WEAK_WINDOW_DAYS = 30
WEAK_MIN_REVIEWS = 20
WEAK_LIMIT = 5
HEAT_LEVELS = 4  # non-zero shades of the calendar

# FSRS-6 forgetting curve, as fsrs.Scheduler.get_card_retrievability computes it.
_DECAY = -SCHEDULER.parameters[20]
_FACTOR = 0.9 ** (1 / _DECAY) - 1


def recall_probability(state: CardState, at: datetime) -> float:
    """FSRS retrievability of a card at a moment (0 for a card without a review yet).

    The same formula and whole elapsed days as `fsrs.Scheduler.get_card_retrievability`, without
    building an `fsrs.Card` per call (the stats compute it for every card)."""
    if state.last_review is None or state.stability is None:
        return 0.0
    elapsed = max(0, (at - state.last_review).days)
    return float((1 + _FACTOR * elapsed / state.stability) ** _DECAY)


def is_mastered(state: CardState, now: datetime) -> bool:
    return state.state == State.Review and recall_probability(state, now) > TARGET_RETENTION


# --- days ---------------------------------------------------------------------------------------


def days_ending(today: date, count: int) -> list[date]:
    """`count` study days up to and including `today`, oldest first."""
    return [today - timedelta(days=count - 1 - i) for i in range(count)]


def day_bounds(days: Sequence[date], tz: tzinfo) -> list[tuple[datetime, datetime]]:
    """The UTC [start, end) of each study day (23 or 25 hours long across a DST change)."""
    return [(day_start(day, tz), day_start(day + timedelta(days=1), tz)) for day in days]


# --- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseAttempt:
    """One stored grading result (the checks only for a pass: the best figures come from those)."""

    exercise: str
    finished_at: datetime
    status: str
    score: float
    max_score: float
    checks: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class StatsInputs:
    """Everything the figures are computed from (what `storage.stats.gather` reads)."""

    now: datetime
    tz: tzinfo
    decks: Sequence[Deck]
    states: Mapping[str, CardState]
    reviews_total: int
    daily_reviews: Sequence[int]  # CALENDAR_DAYS study days ending today, oldest first
    daily_retention: Sequence[tuple[int, int]]  # (reviews, passed), max window, oldest first
    recent: Mapping[str, tuple[int, int]]  # key -> (answers, again) in the weak window
    interview: date | None = None
    mocks: Sequence[Mapping[str, Any]] = ()  # storage.mocks.mocks_for_stats rows, oldest first
    exercises: Sequence[tuple[str, str]] = ()  # the catalogue: (id, title), in order
    exercise_attempts: Sequence[ExerciseAttempt] = ()
    learn_ahead: timedelta = LEARN_AHEAD
    cram_total: int = 0  # cram answers: logged, never reviews


# --- the figures ----------------------------------------------------------------------------------

COUNT_FIELDS = ("cards", "new", "learning", "review", "mastered", "due", "leeches")


@dataclass(frozen=True)
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
        return {"deck": self.deck, "title": self.title, **self.counts()}


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


@dataclass(frozen=True)
class RetentionWindow:
    days: int
    reviews: int
    passed: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.reviews if self.reviews else None

    def to_json(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "days": self.days,
            "reviews": self.reviews,
            "passed": self.passed,
            "rate": None if rate is None else round(rate, 4),
        }


def retention_windows(
    daily: Sequence[tuple[int, int]], windows: Sequence[int] = RETENTION_WINDOWS
) -> list[RetentionWindow]:
    """True retention over the last `days` study days (today included) for each window."""
    found = []
    for days in windows:
        recent = daily[-days:] if days else []
        found.append(RetentionWindow(days, sum(r for r, _ in recent), sum(p for _, p in recent)))
    return found


@dataclass(frozen=True)
class Activity:
    first: date
    last: date
    daily: tuple[int, ...]
    days_active: int
    streak: int  # consecutive study days with reviews, up to today (or yesterday)
    longest_streak: int
    average: float | None  # reviews per active day

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "daily": list(self.daily),
            "days_active": self.days_active,
            "streak": self.streak,
            "longest_streak": self.longest_streak,
            "average": None if self.average is None else round(self.average, 1),
        }


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


@dataclass(frozen=True)
class WeakSpot:
    name: str
    reviews: int
    again: int

    @property
    def accuracy(self) -> float:
        """A fraction in 0..1 (the share of answers that were not Again); the name is the
        `--json` field's, a contract."""
        return 1 - self.again / self.reviews

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reviews": self.reviews,
            "again": self.again,
            "accuracy": round(self.accuracy, 4),
        }


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


@dataclass(frozen=True)
class Leech:
    deck: str
    card: str
    lapses: int
    reps: int
    prompt: str

    def to_json(self) -> dict[str, Any]:
        return {
            "deck": self.deck,
            "card": self.card,
            "lapses": self.lapses,
            "reps": self.reps,
            "prompt": self.prompt,
        }


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


@dataclass(frozen=True)
class MockTrend:
    count: int
    percents: tuple[float, ...]  # oldest first
    last: float | None
    best: float | None
    change: float | None  # points: the last k mocks' mean minus the k before (k <= 3)

    def to_json(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            "count": self.count,
            "percents": [round(p, 1) for p in self.percents],
            "last": rounded(self.last),
            "best": rounded(self.best),
            "change": rounded(self.change),
        }


def mock_trend(mocks: Sequence[Mapping[str, Any]]) -> MockTrend:
    percents = tuple(
        100.0 * (m["score"] or 0) / m["max_score"] if m.get("max_score") else 0.0 for m in mocks
    )
    change = None
    k = min(3, len(percents) // 2)
    if k:
        change = sum(percents[-k:]) / k - sum(percents[-2 * k : -k]) / k
    return MockTrend(
        count=len(percents),
        percents=percents,
        last=percents[-1] if percents else None,
        best=max(percents) if percents else None,
        change=change,
    )


@dataclass(frozen=True)
class BestFigure:
    check: str
    measured: float
    threshold: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "measured": self.measured, "threshold": self.threshold}


@dataclass(frozen=True)
class ExerciseSummary:
    id: str
    title: str
    attempts: int
    passed: bool
    status: str  # passed | new | the last result's status
    best_score: float | None
    max_score: float | None
    passed_at: datetime | None  # the first pass
    best: tuple[BestFigure, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "attempts": self.attempts,
            "passed": self.passed,
            "best_score": self.best_score,
            "max_score": self.max_score,
            "passed_at": self.passed_at.isoformat() if self.passed_at else None,
            "best": [figure.to_json() for figure in self.best],
        }


# A check's `direction` (see quizapp.grading.results.CheckResult) as the sign of "better".
BETTER_SIGN = {"higher": 1, "lower": -1}


def best_figures(attempts: Iterable[ExerciseAttempt]) -> tuple[BestFigure, ...]:
    """Per check of the passing attempts, the best numeric figure it measured (the check's
    direction says which way is better), in the order the checks ran."""
    best: dict[str, BestFigure] = {}
    for attempt in attempts:
        if attempt.status != "pass":
            continue
        for check in attempt.checks:
            measured = check.get("measured")
            direction = BETTER_SIGN.get(str(check.get("direction")), 0)
            if isinstance(measured, bool) or not isinstance(measured, (int, float)):
                continue
            if not direction or not math.isfinite(measured):
                continue
            name = str(check.get("name"))
            held = best.get(name)
            if held is None or (measured - held.measured) * direction > 0:
                best[name] = BestFigure(name, measured, str(check.get("threshold")))
    return tuple(best.values())


def exercise_summaries(
    catalogue: Sequence[tuple[str, str]], attempts: Sequence[ExerciseAttempt]
) -> list[ExerciseSummary]:
    """Every exercise of the catalogue (and any other with results), in catalogue order."""
    by_exercise: dict[str, list[ExerciseAttempt]] = {}
    for attempt in sorted(attempts, key=lambda a: a.finished_at):
        by_exercise.setdefault(attempt.exercise, []).append(attempt)
    titles = dict(catalogue)
    ids = list(titles) + sorted(set(by_exercise) - set(titles))
    found = []
    for exercise in ids:
        mine = by_exercise.get(exercise, [])
        passes = [a for a in mine if a.status == "pass"]
        top = max(mine, key=lambda a: a.score, default=None)
        found.append(
            ExerciseSummary(
                id=exercise,
                title=titles.get(exercise, exercise),
                attempts=len(mine),
                passed=bool(passes),
                status="passed" if passes else (mine[-1].status if mine else "new"),
                best_score=top.score if top else None,
                max_score=top.max_score if top else None,
                passed_at=passes[0].finished_at if passes else None,
                best=best_figures(passes),
            )
        )
    return found


@dataclass(frozen=True)
class Readiness:
    """What the interview date means today."""

    date: date
    days_left: int
    cards: int
    seen: int
    new_per_day: int
    due_before: int  # seen cards that come due before the interview day
    predicted_recall: float | None  # mean recall of the seen cards on the day, no more reviews
    predicted_recall_all: float | None  # the same over every card (unseen ones count as 0)

    @property
    def unseen(self) -> int:
        return self.cards - self.seen

    @property
    def seen_share(self) -> float | None:
        return self.seen / self.cards if self.cards else None

    def to_json(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "date": self.date.isoformat(),
            "days_left": self.days_left,
            "unseen": self.unseen,
            "new_per_day": self.new_per_day,
            "cards": self.cards,
            "seen": self.seen,
            "seen_share": rounded(self.seen_share),
            "due_before": self.due_before,
            "predicted_recall": rounded(self.predicted_recall),
            "predicted_recall_all": rounded(self.predicted_recall_all),
        }


def readiness(
    interview: date, today: date, tz: tzinfo, cards: int, states: Sequence[CardState]
) -> Readiness:
    """`states`: the library's seen cards. Recall is predicted for the start of the interview
    day as if no review happened before it (a floor: every review done raises it)."""
    plan = interview_plan(interview, today, cards - len(states))
    moment = day_start(interview, tz)
    predicted = predicted_all = None
    if plan.days_left >= 0:
        total = sum(recall_probability(s, moment) for s in states)
        predicted = total / len(states) if states else None
        predicted_all = total / cards if cards else None
    return Readiness(
        date=interview,
        days_left=plan.days_left,
        cards=cards,
        seen=len(states),
        new_per_day=plan.new_per_day,
        due_before=sum(1 for s in states if s.due < moment),
        predicted_recall=predicted,
        predicted_recall_all=predicted_all,
    )


# --- words -------------------------------------------------------------------------------------


def format_percent(rate: float | None, digits: int = 1) -> str:
    """0.912 -> '91.2%'; None (nothing to measure) -> '–'."""
    return "–" if rate is None else f"{100 * rate:.{digits}f}%"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def describe_figure(figure: BestFigure) -> str:
    """'size <= 0.30 of FP32: 0.2602' (the check's name says what the figure is)."""
    return f"{figure.check}: {figure.measured:g}"


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsReport:
    now: datetime
    today: date
    reviews_total: int
    decks: tuple[DeckProgress, ...]
    due_tomorrow: int
    forecast: tuple[int, ...]
    retention: tuple[RetentionWindow, ...]
    activity: Activity
    heat: tuple[int, ...]
    weak_decks: tuple[WeakSpot, ...]
    weak_tags: tuple[WeakSpot, ...]
    leeches: tuple[Leech, ...]
    mocks: tuple[Mapping[str, Any], ...]
    mock_trend: MockTrend
    exercises: tuple[ExerciseSummary, ...]
    interview: Readiness | None = None
    titles: Mapping[str, str] = field(default_factory=dict)
    outlook: DueOutlook | None = None
    cram_total: int = 0
    tz: tzinfo | None = None

    @property
    def totals(self) -> DeckProgress:
        return DeckProgress(
            "total",
            "All decks",
            **{name: sum(getattr(d, name) for d in self.decks) for name in COUNT_FIELDS},
        )

    @property
    def reviews_today(self) -> int:
        return self.activity.daily[-1] if self.activity.daily else 0

    @property
    def main_retention(self) -> RetentionWindow:
        return next(w for w in self.retention if w.days == MAIN_RETENTION_WINDOW)

    @property
    def is_empty(self) -> bool:
        """A new learner: nothing reviewed, no mock finished, no exercise graded."""
        return (
            not self.reviews_total
            and not self.mocks
            and not any(e.attempts for e in self.exercises)
        )

    def to_json(self) -> dict[str, Any]:
        """The `quizapp stats --json` document (fields of issues 2 and 5 kept as they were)."""
        document: dict[str, Any] = {
            "now": self.now.isoformat(),
            "today": self.today.isoformat(),
            "reviews_total": self.reviews_total,
            "reviews_today": self.reviews_today,
            "due_tomorrow": self.due_tomorrow,
            "due_today": self.outlook.today if self.outlook else 0,
            "due_outlook": _outlook_json(self.outlook),
            "cram_total": self.cram_total,
            "interview_date": self.interview.date.isoformat() if self.interview else None,
            "totals": self.totals.counts(),
            "decks": [deck.to_json() for deck in self.decks],
            "mocks": [dict(m) for m in self.mocks],
            "forecast": list(self.forecast),
            "retention": {
                "target": TARGET_RETENTION,
                "windows": [w.to_json() for w in self.retention],
            },
            "activity": self.activity.to_json(),
            "weakest": {
                "window_days": WEAK_WINDOW_DAYS,
                "min_reviews": WEAK_MIN_REVIEWS,
                "decks": [w.to_json() for w in self.weak_decks],
                "tags": [w.to_json() for w in self.weak_tags],
            },
            "leeches": [leech.to_json() for leech in self.leeches],
            "mock_trend": self.mock_trend.to_json(),
            "exercises": [e.to_json() for e in self.exercises],
        }
        if self.interview is not None:
            document["interview"] = self.interview.to_json()
        return document


def build_report(inputs: StatsInputs) -> StatsReport:
    now = as_utc(inputs.now)
    tz = inputs.tz
    today = study_day(now, tz)
    keys = {f"{d.deck}/{c.id}" for d in inputs.decks for c in d.cards}  # card_key
    mine = [state for key, state in inputs.states.items() if key in keys]
    cutoff = review_cutoff(now, inputs.interview, tz)
    outlook = due_outlook(mine, now, interview=inputs.interview, tz=tz)
    by_deck, by_tag = recent_by_group(inputs.decks, inputs.recent)
    daily = list(inputs.daily_reviews)
    return StatsReport(
        now=now,
        today=today,
        reviews_total=inputs.reviews_total,
        decks=tuple(deck_progress(inputs.decks, inputs.states, now, cutoff, inputs.learn_ahead)),
        due_tomorrow=outlook.tomorrow,
        forecast=tuple(forecast(mine, today, tz)),
        retention=tuple(retention_windows(inputs.daily_retention)),
        activity=activity(daily, today),
        heat=tuple(heat_levels(daily)),
        weak_decks=tuple(weakest(by_deck)),
        weak_tags=tuple(weakest(by_tag)),
        leeches=tuple(leeches(inputs.decks, inputs.states)),
        mocks=tuple(inputs.mocks),
        mock_trend=mock_trend(inputs.mocks),
        exercises=tuple(exercise_summaries(inputs.exercises, inputs.exercise_attempts)),
        interview=(
            readiness(inputs.interview, today, tz, len(keys), mine)
            if inputs.interview is not None
            else None
        ),
        titles={d.deck: d.title for d in inputs.decks},
        outlook=outlook,
        cram_total=inputs.cram_total,
        tz=tz,
    )


def _outlook_json(outlook: DueOutlook | None) -> dict[str, Any] | None:
    if outlook is None:
        return None
    return {
        "now": outlook.due_now,
        "soon_minutes": list(outlook.soon),
        "later_today": len(outlook.later_today),
        "tomorrow": outlook.tomorrow,
    }
