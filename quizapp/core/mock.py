"""Timed mock interviews: drawing the questions, the run against the clock, grading, the report.

Plain Python (no textual, no torch). Time comes from an injected `clock` (monotonic seconds), so
tests drive a whole mock without sleeping. Every second of the clock is attributed to the
question on screen, so `elapsed == sum(time_spent)` always holds and a saved state resumes with
exactly the remaining time.

Timing rules (the honest version of a real interview):
- the total limit ends the mock by itself; what was answered counts, blanks are missed;
- a per-question limit moves on to the next question once, when it first runs out; the learner
  may go back (answers stay editable until the end) and the report flags the overrun;
- there is no pause: leaving the mock stops its clock only because the app is no longer
  showing it, and the report says how many times the mock was interrupted.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from fsrs import Rating

from quizapp.core.models import Card, Deck
from quizapp.core.questions import (
    Question,
    check_choice,
    check_fields,
    free_rating,
    instantiate,
    typed_unit,
)
from quizapp.core.units import with_unit

Clock = Callable[[], float]
Status = Literal["running", "grading", "finished"]
VerdictName = Literal["right", "partial", "wrong", "blank"]

DEFAULT_MINUTES = 15.0
DEFAULT_QUESTIONS = 10

# Drawing: each card already drawn of the same type, difficulty or deck makes the next one of
# that kind less likely, so a mock mixes them without forbidding a deck that is all one type.
TYPE_SPREAD = 0.35
DIFFICULTY_SPREAD = 0.7
DECK_SPREAD = 0.7
# A card the learner always gets right still turns up now and then.
MIN_WEIGHT = 0.2

EPSILON = 1e-6  # seconds: closer than this to a limit counts as having reached it

FLASHCARD_MARKS = {"wrong": 0.0, "partly": 0.5, "right": 1.0}


class MockSetupError(ValueError):
    """The set-up asks for something the decks cannot give (unknown deck, too few cards...)."""


class MockStateError(RuntimeError):
    """An action that the mock's current phase does not allow (e.g. answering after the end)."""


# --- set-up and drawing ------------------------------------------------------------------------


@dataclass(frozen=True)
class MockSetup:
    minutes: float = DEFAULT_MINUTES
    questions: int = DEFAULT_QUESTIONS
    decks: tuple[str, ...] = ()  # empty: every deck
    tags: tuple[str, ...] = ()  # empty: any card; else cards with at least one of the tags
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
        return {
            "minutes": self.minutes,
            "questions": self.questions,
            "decks": list(self.decks),
            "tags": list(self.tags),
            "per_question_s": self.per_question_s,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MockSetup:
        return cls(
            minutes=float(data["minutes"]),
            questions=int(data["questions"]),
            decks=tuple(data.get("decks") or ()),
            tags=tuple(data.get("tags") or ()),
            per_question_s=data.get("per_question_s"),
            seed=data.get("seed"),
        )


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
    """The cards a mock with this set-up draws from; errors name what was asked for."""
    known = {deck.deck: deck for deck in decks}
    if not known:
        raise MockSetupError("no decks are loaded (run `quizapp validate` to see why)")
    unknown = [d for d in setup.decks if d not in known]
    if unknown:
        raise MockSetupError(
            f"unknown deck {', '.join(map(repr, unknown))} (decks: {', '.join(sorted(known))})"
        )
    chosen = [known[d] for d in dict.fromkeys(setup.decks)] if setup.decks else list(decks)
    pool = [(deck.deck, card) for deck in chosen for card in deck.cards]
    if setup.tags:
        present = {tag for _, card in pool for tag in card.tags}
        missing = [t for t in setup.tags if t not in present]
        if missing:
            where = "in the chosen decks" if setup.decks else "in any deck"
            listed = ", ".join(sorted(present)) or "none"
            raise MockSetupError(
                f"no card has the tag {', '.join(map(repr, missing))} {where} (tags: {listed})"
            )
        wanted = set(setup.tags)
        pool = [(d, card) for d, card in pool if wanted.intersection(card.tags)]
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


# --- responses, judgments and scoring ----------------------------------------------------------
#
# A response is JSON-ready data, by question kind:
#   choice: {"choices": [0, 2]}   numeric/generated: {"fields": {"scale": "0.0157"}}
#   flashcard/free: {"text": "..."}
# A judgment (self-graded kinds only): flashcard {"mark": "right"|"partly"|"wrong"},
# free {"covered": [indices of key points covered]}.


def is_blank(question: Question, response: Mapping[str, Any] | None) -> bool:
    if not response:
        return True
    if question.kind == "choice":
        return not response.get("choices")
    if question.kind in ("numeric", "generated"):
        return not any(str(v).strip() for v in (response.get("fields") or {}).values())
    return not str(response.get("text") or "").strip()


def check_judgment(question: Question, judgment: Mapping[str, Any]) -> dict[str, Any]:
    """A clean copy of a judgment, or MockStateError saying what is wrong with it."""
    if question.kind == "flashcard":
        mark = judgment.get("mark")
        if mark not in FLASHCARD_MARKS:
            raise MockStateError(f"a flashcard is marked one of {', '.join(FLASHCARD_MARKS)}")
        return {"mark": mark}
    if question.kind == "free":
        covered = sorted({int(i) for i in judgment.get("covered", ())})
        if any(not 0 <= i < len(question.key_points) for i in covered):
            raise MockStateError("a covered key point is out of range")
        return {"covered": covered}
    raise MockStateError(f"{question.kind} questions are graded automatically")


def score_answer(
    question: Question,
    response: Mapping[str, Any] | None,
    judgment: Mapping[str, Any] | None = None,
) -> tuple[VerdictName, float]:
    """Verdict and score (0..1). Self-graded questions need their judgment unless blank."""
    if is_blank(question, response):
        return "blank", 0.0
    assert response is not None
    if question.kind == "choice":
        score = check_choice(question, {int(i) for i in response["choices"]}).score
    elif question.kind in ("numeric", "generated"):
        given = {str(k): str(v) for k, v in (response.get("fields") or {}).items()}
        score = check_fields(question, given).score
    else:
        if judgment is None:
            raise MockStateError(f"{question.key} has not been judged yet")
        if question.kind == "flashcard":
            score = FLASHCARD_MARKS[judgment["mark"]]
        else:
            total = len(question.key_points)
            score = len(judgment.get("covered", ())) / total if total else 1.0
    if score >= 1.0:
        return "right", 1.0
    if score <= 0.0:
        return "wrong", 0.0
    return "partial", score


def review_rating(
    question: Question,
    verdict: VerdictName,
    judgment: Mapping[str, Any] | None = None,
) -> Rating | None:
    """The rating an answer sends to the review queue, as a drill would rate the same answer:
    None when right (nothing to review), Hard when a self-graded answer was mostly there (half
    the key points or more, or a flashcard marked "partly"), Again otherwise. Auto-checked
    answers are right or not, as in a drill: partial credit there is still a miss."""
    if verdict == "right":
        return None
    if verdict == "partial" and judgment is not None:
        if question.kind == "free":
            return free_rating(len(judgment.get("covered", ())), len(question.key_points))
        if question.kind == "flashcard":
            return Rating.Hard
    return Rating.Again


def describe_response(question: Question, response: Mapping[str, Any] | None) -> str:
    """The learner's answer as plain text, for the grading screen and the report."""
    if is_blank(question, response):
        return "(blank)"
    assert response is not None
    if question.kind == "choice":
        picked = sorted(int(i) for i in response["choices"])
        return "; ".join(
            f"{i + 1}. {question.options[i]}" if 0 <= i < len(question.options) else str(i + 1)
            for i in picked
        )
    if question.kind in ("numeric", "generated"):
        given = response.get("fields") or {}
        parts = []
        for answer_field in question.fields:
            text = str(given.get(answer_field.name, "")).strip()
            # The unit once: as typed, or the card's when the learner typed none.
            shown = (text if typed_unit(text) else with_unit(text, answer_field.unit)) or "(blank)"
            parts.append(
                f"{answer_field.label or answer_field.name} = {shown}"
                if len(question.fields) > 1 or question.kind == "generated"
                else shown
            )
        return ", ".join(parts)
    return str(response.get("text", "")).strip()


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    """What a clock update changed: the question on screen moved on, or the mock ended."""

    moved: bool = False
    ended: bool = False


class MockRun:
    """One mock against the clock. Call `tick()` often (the UI does, ~4 times a second)."""

    def __init__(
        self,
        questions: Sequence[Question],
        time_limit_s: float,
        per_question_s: float | None = None,
        clock: Clock = time.monotonic,
        *,
        responses: Sequence[dict[str, Any] | None] | None = None,
        time_spent: Sequence[float] | None = None,
        judgments: Sequence[dict[str, Any] | None] | None = None,
        current: int = 0,
        status: Status = "running",
        ended_by: str | None = None,
        interruptions: int = 0,
    ) -> None:
        if not questions:
            raise MockSetupError("a mock needs at least one question")
        if time_limit_s <= 0:
            raise MockSetupError("the time limit must be greater than 0")
        n = len(questions)
        self.questions: tuple[Question, ...] = tuple(questions)
        self.time_limit_s = float(time_limit_s)
        self.per_question_s = per_question_s
        self.responses: list[dict[str, Any] | None] = list(responses or [None] * n)
        self.time_spent: list[float] = [float(t) for t in (time_spent or [0.0] * n)]
        self.judgments: list[dict[str, Any] | None] = list(judgments or [None] * n)
        if not (len(self.responses) == len(self.time_spent) == len(self.judgments) == n):
            raise ValueError("responses, time_spent and judgments need one entry per question")
        self.current = min(max(current, 0), n - 1)
        self.status: Status = status
        self.ended_by = ended_by  # "time" | "submit" once the clock has stopped
        self.interruptions = interruptions
        self._clock = clock
        self._checkpoint = clock()
        if self.status == "running" and self.elapsed >= self.time_limit_s:
            self._stop("time")  # a saved mock whose time had run out ends when opened

    # time -------------------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        return sum(self.time_spent)

    @property
    def remaining(self) -> float:
        """Seconds left on the total clock, as of the last tick."""
        return max(self.time_limit_s - self.elapsed, 0.0)

    @property
    def question_remaining(self) -> float | None:
        """Seconds left of the current question's budget (negative: over it), or None."""
        if self.per_question_s is None:
            return None
        return self.per_question_s - self.time_spent[self.current]

    def over_budget(self, position: int) -> bool:
        return self.per_question_s is not None and self.time_spent[position] > self.per_question_s

    def _budget_left(self, position: int) -> float:
        if self.per_question_s is None:
            return math.inf
        left = self.per_question_s - self.time_spent[position]
        # A question whose budget already ran out never moves the learner on again.
        return left if left > 0 else math.inf

    def tick(self) -> Tick:
        """Attribute the time since the last tick; move on or end where a limit ran out.

        Limits act at the moment they ran out, not at the tick that notices it, so the time
        spent on each question is exact whatever the tick rate.
        """
        if self.status != "running":
            return Tick()
        now = self._clock()
        moved = False
        while True:
            span = max(now - self._checkpoint, 0.0)
            total_left = self.time_limit_s - self.elapsed
            question_left = self._budget_left(self.current)
            step = min(span, max(total_left, 0.0), question_left)
            self.time_spent[self.current] += step
            self._checkpoint += step
            # A microsecond of float rounding must not leave the clock one tick from the end.
            if total_left - step <= EPSILON:
                self._stop("time")
                return Tick(moved=moved, ended=True)
            if question_left - step <= EPSILON:
                # Exactly at the budget: float rounding must not leave a sliver to expire again.
                self.time_spent[self.current] = max(
                    self.time_spent[self.current], float(self.per_question_s or 0.0)
                )
                following = self._next_with_budget()
                if following is not None:
                    self.current = following
                    moved = True
                continue
            return Tick(moved=moved)

    def _next_with_budget(self) -> int | None:
        n = len(self.questions)
        for offset in range(1, n):
            position = (self.current + offset) % n
            if self._budget_left(position) < math.inf:
                return position
        return None

    def _require_running(self) -> None:
        if self.status != "running":
            raise MockStateError("the mock's clock has stopped; answers can no longer change")

    # moving and answering ---------------------------------------------------------------------

    def go(self, position: int) -> None:
        self._require_running()
        if not 0 <= position < len(self.questions):
            raise IndexError(position)
        self.tick()
        if self.status == "running":
            self.current = position

    def next(self) -> None:
        self.go((self.current + 1) % len(self.questions))

    def previous(self) -> None:
        self.go((self.current - 1) % len(self.questions))

    def answer(self, response: dict[str, Any] | None, position: int | None = None) -> None:
        """Record (or replace) the answer to a question; blank text clears it."""
        self._require_running()
        self.tick()
        self._require_running()
        position = self.current if position is None else position
        question = self.questions[position]
        self.responses[position] = None if is_blank(question, response) else dict(response or {})

    def answered(self, position: int) -> bool:
        return not is_blank(self.questions[position], self.responses[position])

    @property
    def blank_count(self) -> int:
        return sum(not self.answered(i) for i in range(len(self.questions)))

    def submit(self) -> None:
        self._require_running()
        self.tick()
        if self.status == "running":
            self._stop("submit")

    def suspend(self) -> None:
        """The learner leaves (or the app closes): account the time up to now."""
        self.tick()

    def start_clock(self) -> None:
        """Count from now: the time before (drawing, building the screen) is not the mock's."""
        if self.status == "running":
            self._checkpoint = self._clock()

    def resumed(self) -> None:
        """Called when a saved mock is opened again: the time away is not counted."""
        self.start_clock()
        self.interruptions += 1
        self.tick()

    def _stop(self, reason: str) -> None:
        self.ended_by = reason
        self.status = "grading" if self.pending_judgments() else "finished"

    # grading ----------------------------------------------------------------------------------

    def pending_judgments(self) -> list[int]:
        """Answered self-graded questions not yet judged (blank ones are simply missed)."""
        return [
            i
            for i, q in enumerate(self.questions)
            if q.self_rated and self.answered(i) and self.judgments[i] is None
        ]

    def needs_judgment(self) -> list[int]:
        """Every answered self-graded question (judged or not), in order."""
        return [i for i, q in enumerate(self.questions) if q.self_rated and self.answered(i)]

    def judge(self, position: int, judgment: Mapping[str, Any]) -> None:
        if self.status != "grading":
            raise MockStateError("questions are judged after the clock stops, before the report")
        question = self.questions[position]
        if not self.answered(position):
            raise MockStateError(f"question {position + 1} was left blank: it counts as missed")
        self.judgments[position] = check_judgment(question, judgment)

    def complete(self) -> None:
        """Close grading; every answered self-graded question must have been judged."""
        if self.status == "finished":
            return
        if self.status != "grading":
            raise MockStateError("the mock is still running")
        pending = self.pending_judgments()
        if pending:
            raise MockStateError(
                f"question{'s' * (len(pending) > 1)} {', '.join(str(i + 1) for i in pending)} "
                "still to be judged"
            )
        self.status = "finished"

    def result(self, position: int) -> tuple[VerdictName, float]:
        return score_answer(
            self.questions[position], self.responses[position], self.judgments[position]
        )

    @property
    def score(self) -> float:
        if self.status != "finished":
            raise MockStateError("the score is known once every answer is graded")
        return sum(self.result(i)[1] for i in range(len(self.questions)))

    @property
    def max_score(self) -> float:
        return float(len(self.questions))

    def rating(self, position: int) -> Rating | None:
        """What this answer sends to the review queue (see `review_rating`)."""
        return review_rating(
            self.questions[position], self.result(position)[0], self.judgments[position]
        )

    def misses(self) -> list[int]:
        """Questions missed: they go back into the review queue as Again."""
        return [i for i in range(len(self.questions)) if self.rating(i) == Rating.Again]

    def partly_right(self) -> list[int]:
        """Self-graded answers mostly there: they go back into the review queue as Hard."""
        return [i for i in range(len(self.questions)) if self.rating(i) == Rating.Hard]

    # saving -----------------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Everything needed to rebuild the run (JSON-ready)."""
        return {
            "questions": [q.to_dict() for q in self.questions],
            "time_limit_s": self.time_limit_s,
            "per_question_s": self.per_question_s,
            "responses": list(self.responses),
            "time_spent": list(self.time_spent),
            "judgments": list(self.judgments),
            "current": self.current,
            "status": self.status,
            "ended_by": self.ended_by,
            "interruptions": self.interruptions,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], clock: Clock = time.monotonic) -> MockRun:
        """Rebuild a saved run. A running one continues with the time it had left."""
        return cls(
            [Question.from_dict(q) for q in state["questions"]],
            state["time_limit_s"],
            state.get("per_question_s"),
            clock,
            responses=state.get("responses"),
            time_spent=state.get("time_spent"),
            judgments=state.get("judgments"),
            current=state.get("current", 0),
            status=state.get("status", "running"),
            ended_by=state.get("ended_by"),
            interruptions=state.get("interruptions", 0),
        )


def unfinished_summary(mock_id: str, run: MockRun) -> str:
    """Where an unfinished mock stands, in a sentence (the set-up screen, `quizapp mock`)."""
    if run.status == "running":
        answered = len(run.questions) - run.blank_count
        return (
            f"Mock {mock_id} was left unfinished with {format_countdown(run.remaining)} on the "
            f"clock ({answered} of {len(run.questions)} answered)."
        )
    pending = len(run.pending_judgments())
    return (
        f"Mock {mock_id} is over; {pending} of your answers "
        f"{'are' if pending != 1 else 'is'} waiting to be judged before the report."
    )


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    position: int  # 1-based, as shown
    question: Question
    given: str
    verdict: VerdictName
    score: float
    time_s: float
    over_budget: bool
    judgment: dict[str, Any] | None = None
    rating: Rating | None = None  # what it sent to the review queue (None: right)

    @property
    def expected(self) -> str:
        return self.question.answer_text


@dataclass(frozen=True)
class TopicScore:
    deck: str
    title: str
    score: float
    max_score: float
    questions: int

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass(frozen=True)
class MockReport:
    mock_id: str
    started_at: datetime | None
    finished_at: datetime | None
    time_limit_s: float
    per_question_s: float | None
    elapsed_s: float
    ended_by: str | None
    interruptions: int
    score: float
    max_score: float
    topics: tuple[TopicScore, ...]
    results: tuple[QuestionResult, ...]
    slowest: tuple[QuestionResult, ...] = field(default_factory=tuple)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def misses(self) -> tuple[QuestionResult, ...]:
        """Back into the review queue as Again."""
        return tuple(r for r in self.results if r.rating == Rating.Again)

    @property
    def partly_right(self) -> tuple[QuestionResult, ...]:
        """Back into the review queue as Hard."""
        return tuple(r for r in self.results if r.rating == Rating.Hard)

    def review_note(self) -> str:
        """What the mock sent to the review queue, in a sentence."""
        misses, partly = len(self.misses), len(self.partly_right)
        parts = []
        if misses:
            parts.append(
                f"{misses} missed question{'s' * (misses != 1)} went back into your review "
                "queue as Again"
            )
        if partly:
            went = "" if misses else " went back into your review queue"
            parts.append(f"{partly} partly right{went} as Hard")
        return ("; ".join(parts) + ".") if parts else "Nothing missed."


SLOWEST_SHOWN = 3


def build_report(
    run: MockRun,
    mock_id: str,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    deck_titles: Mapping[str, str] | None = None,
) -> MockReport:
    if run.status != "finished":
        raise MockStateError("the report is ready once grading is complete")
    titles = deck_titles or {}
    results = []
    for i, question in enumerate(run.questions):
        verdict, score = run.result(i)
        results.append(
            QuestionResult(
                position=i + 1,
                question=question,
                given=describe_response(question, run.responses[i]),
                verdict=verdict,
                score=score,
                time_s=run.time_spent[i],
                over_budget=run.over_budget(i),
                judgment=run.judgments[i],
                rating=run.rating(i),
            )
        )
    topics: dict[str, list[QuestionResult]] = {}
    for result in results:
        topics.setdefault(result.question.deck, []).append(result)
    topic_scores = tuple(
        TopicScore(
            deck=deck,
            title=titles.get(deck, deck),
            score=sum(r.score for r in rows),
            max_score=float(len(rows)),
            questions=len(rows),
        )
        for deck, rows in sorted(topics.items(), key=lambda item: item[0])
    )
    slowest = tuple(
        sorted((r for r in results if r.time_s > 0), key=lambda r: (-r.time_s, r.position))[
            :SLOWEST_SHOWN
        ]
    )
    return MockReport(
        mock_id=mock_id,
        started_at=started_at,
        finished_at=finished_at,
        time_limit_s=run.time_limit_s,
        per_question_s=run.per_question_s,
        elapsed_s=run.elapsed,
        ended_by=run.ended_by,
        interruptions=run.interruptions,
        score=run.score,
        max_score=run.max_score,
        topics=topic_scores,
        results=tuple(results),
        slowest=slowest,
    )


def format_duration(seconds: float) -> str:
    """m:ss (h:mm:ss past an hour); whole seconds, rounded down like a countdown shows them."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_countdown(seconds: float) -> str:
    """A countdown shows the seconds still (partly) left: 0.2 s left reads 0:01, not 0:00."""
    return format_duration(math.ceil(max(seconds, 0.0) - 1e-9))


def format_points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "unknown"


def _indent_block(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def result_markdown(r: QuestionResult) -> str:
    """One question's review in Markdown: the prompt, the learner's answer, the expected one,
    key points (ticked as judged), working, explanation and source. The report file and the
    report screen both show it."""
    question = r.question
    lines = [_indent_block(question.prompt)]
    if question.options:
        lines.append("")
        lines += [f"{i}. {option}" for i, option in enumerate(question.options, 1)]
    lines += ["", "**Your answer:**", "", _indent_block(r.given), "", "**Expected:**", ""]
    lines.append(_indent_block(r.expected))
    if question.key_points:
        covered = set((r.judgment or {}).get("covered", ()))
        lines += ["", "**Key points:**", ""]
        lines += [
            f"- [{'x' if i in covered else ' '}] {point}"
            for i, point in enumerate(question.key_points)
        ]
    if question.working:
        lines += ["", "**Working:**", "", question.working.strip()]
    if question.explanation:
        lines += ["", "**Explanation:**", "", question.explanation.strip()]
    if question.source:
        lines += ["", f"Source: {question.source.strip()}"]
    return "\n".join(lines)


def report_markdown(report: MockReport) -> str:
    """The report as a Markdown document (what `quizapp mock --report ID --markdown` writes)."""
    lines = [
        f"# Mock interview {report.mock_id}: "
        f"{format_points(report.score)} / {format_points(report.max_score)} "
        f"({report.percent:.0f}%)",
        "",
        f"- Started {_when(report.started_at)}, finished {_when(report.finished_at)}",
        f"- Time used {format_duration(report.elapsed_s)} of "
        f"{format_duration(report.time_limit_s)}"
        + (
            " (ended when the time ran out)"
            if report.ended_by == "time"
            else " (submitted)"
            if report.ended_by == "submit"
            else ""
        ),
    ]
    if report.per_question_s is not None:
        over = sum(r.over_budget for r in report.results)
        lines.append(
            f"- Per-question limit {format_duration(report.per_question_s)}; "
            f"{over} question{'s' * (over != 1)} over it"
        )
    if report.interruptions:
        times = "once" if report.interruptions == 1 else f"{report.interruptions} times"
        lines.append(
            f"- Interrupted {times} and resumed (the clock stopped while the mock was closed)"
        )
    lines.append(f"- {report.review_note()}")
    lines += ["", "## Scores by topic", "", "| Topic | Score | Questions |", "|---|---|---|"]
    for topic in report.topics:
        lines.append(
            f"| {topic.title} | {format_points(topic.score)} / {format_points(topic.max_score)} "
            f"({topic.percent:.0f}%) | {topic.questions} |"
        )
    if report.slowest:
        lines += ["", "## Slowest questions", ""]
        for r in report.slowest:
            lines.append(
                f"- Q{r.position} {r.question.key}: {format_duration(r.time_s)} ({r.verdict})"
            )
    lines += ["", "## Questions"]
    for r in report.results:
        flag = ", over the per-question limit" if r.over_budget else ""
        lines += [
            "",
            f"### {r.position}. {r.question.key}: {r.verdict} "
            f"({format_points(r.score)} / 1), {format_duration(r.time_s)}{flag}",
            "",
            result_markdown(r),
        ]
    return "\n".join(lines) + "\n"
