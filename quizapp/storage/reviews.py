"""Reviews and card states in SQLite: every answer is committed when it is made.

`record_review` is the one way an answer reaches the schedule (drill, cram and mock all call
it): the review row and the card's new state are written in one transaction, so a review
is either wholly stored or not at all, and a killed process loses nothing already answered.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from fsrs import Rating, Scheduler, State

from quizapp.core.drill_queue import DEFAULT_NEW_PER_SESSION, parse_new_per_session
from quizapp.core.due_cards import LEARN_AHEAD, is_due, parse_learn_ahead
from quizapp.core.fsrs_scheduler import LEECH_LAPSES, SCHEDULER, CardState, card_key, review
from quizapp.core.interview_pacing import parse_interview_date, review_cutoff
from quizapp.core.loader import LoadResult
from quizapp.core.study_days import as_utc
from quizapp.storage.db import Database, from_db_time, to_db_time, utc_now

MODES = ("drill", "cram", "mock")
INTERVIEW_DATE_KEY = "interview-date"
NEW_PER_SESSION_KEY = "new-per-session"
LEARN_AHEAD_KEY = "learn-ahead"


# --- card states ------------------------------------------------------------------------------


def _state_from_row(row: sqlite3.Row) -> CardState:
    return CardState(
        deck=row["deck"],
        card=row["card"],
        state=State(row["state"]),
        step=row["step"],
        stability=row["stability"],
        difficulty=row["difficulty"],
        due=from_db_time(row["due"]),
        last_review=from_db_time(row["last_review"]) if row["last_review"] else None,
        reps=row["reps"],
        lapses=row["lapses"],
    )


def load_state(db: Database, deck: str, card: str) -> CardState | None:
    """The card's schedule, or None for a card never reviewed."""
    rows = db.query("SELECT * FROM card_state WHERE deck = ? AND card = ?", (deck, card))
    return _state_from_row(rows[0]) if rows else None


def load_states(db: Database, decks: Iterable[str] | None = None) -> dict[str, CardState]:
    """Every stored card state (of these decks), keyed by `deck/card`."""
    if decks is None:
        rows = db.query("SELECT * FROM card_state")
    else:
        wanted = list(dict.fromkeys(decks))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = db.query(f"SELECT * FROM card_state WHERE deck IN ({marks})", tuple(wanted))
    states = (_state_from_row(row) for row in rows)
    return {state.key: state for state in states}


def _save_state(conn: sqlite3.Connection, state: CardState) -> None:
    conn.execute(
        "INSERT INTO card_state (deck, card, state, step, stability, difficulty, due, "
        "last_review, reps, lapses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (deck, card) DO UPDATE SET state = excluded.state, step = excluded.step, "
        "stability = excluded.stability, difficulty = excluded.difficulty, due = excluded.due, "
        "last_review = excluded.last_review, reps = excluded.reps, lapses = excluded.lapses",
        (
            state.deck,
            state.card,
            int(state.state),
            state.step,
            state.stability,
            state.difficulty,
            to_db_time(state.due),
            to_db_time(state.last_review) if state.last_review else None,
            state.reps,
            state.lapses,
        ),
    )


# --- reviews ------------------------------------------------------------------------------------


def record_review(
    db: Database,
    deck: str,
    card: str,
    rating: int,
    *,
    mode: str,
    duration_ms: int | None = None,
    correct: bool | None = None,
    answer: object = None,
    now: datetime | None = None,
    override: bool = False,
    hint_used: bool = False,
    scheduler: Scheduler = SCHEDULER,
) -> int:
    """Store one review and the card's new schedule in ONE transaction; return the review id.

    `rating` is an `fsrs.Rating` (1 Again .. 4 Easy); `mode` is "drill", "cram" or "mock".
    Drill and mock reviews move the card's schedule with FSRS (a mock miss recorded as Again
    puts the card back into the review queue); cram reviews are logged but leave the schedule
    untouched. `answer` is stored as JSON (what the learner answered); `override` marks an
    auto-grade the learner overrode ("I was right"); `hint_used` an answer given after a hint.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    try:
        rating = Rating(int(rating))
    except (ValueError, TypeError):
        raise ValueError(f"rating must be 1..4 (Again..Easy), not {rating!r}") from None
    if duration_ms is not None and duration_ms < 0:
        raise ValueError("duration_ms must not be negative")
    moment = as_utc(now) if now is not None else utc_now()
    answer_json = None if answer is None else json.dumps(answer, default=str, ensure_ascii=False)
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT * FROM card_state WHERE deck = ? AND card = ?", (deck, card)
        ).fetchall()
        before = _state_from_row(rows[0]) if rows else None
        if mode == "cram":
            state_before = None  # SQL NULL: this review did not touch the schedule
        else:
            # JSON text; "null" means the card was new (undo deletes its state again)
            state_before = json.dumps(before.to_dict() if before else None)
            after = review(
                before, deck, card, rating, moment, duration_ms=duration_ms, scheduler=scheduler
            )
            _save_state(conn, after)
        cursor = conn.execute(
            "INSERT INTO reviews (deck, card, rating, reviewed_at, duration_ms, mode, correct, "
            "override, hint_used, answer, state_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                deck,
                card,
                int(rating),
                to_db_time(moment),
                duration_ms,
                mode,
                None if correct is None else int(bool(correct)),
                int(override),
                int(hint_used),
                answer_json,
                state_before,
            ),
        )
        review_id = cursor.lastrowid
    assert review_id is not None
    return review_id


@dataclass(frozen=True)
class StoredReview:
    id: int
    deck: str
    card: str
    rating: Rating
    reviewed_at: datetime
    duration_ms: int | None
    mode: str
    correct: bool | None
    override: bool
    hint_used: bool
    answer: Any

    @property
    def key(self) -> str:
        return card_key(self.deck, self.card)


def _review_from_row(row: sqlite3.Row) -> StoredReview:
    return StoredReview(
        id=row["id"],
        deck=row["deck"],
        card=row["card"],
        rating=Rating(row["rating"]),
        reviewed_at=from_db_time(row["reviewed_at"]),
        duration_ms=row["duration_ms"],
        mode=row["mode"],
        correct=None if row["correct"] is None else bool(row["correct"]),
        override=bool(row["override"]),
        hint_used=bool(row["hint_used"]),
        answer=None if row["answer"] is None else json.loads(row["answer"]),
    )


def reviews_of(db: Database, deck: str, card: str) -> list[StoredReview]:
    rows = db.query("SELECT * FROM reviews WHERE deck = ? AND card = ? ORDER BY id", (deck, card))
    return [_review_from_row(row) for row in rows]


class UndoError(Exception):
    """The review cannot be undone (unknown, or not the card's latest review)."""


def undo_review(db: Database, review_id: int) -> StoredReview:
    """Delete a review and put the card's schedule back as it was before it, in one
    transaction. Only a card's latest review can be undone (the state before an older one
    would erase the reviews after it)."""
    with db.transaction() as conn:
        rows = conn.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchall()
        if not rows:
            raise UndoError(f"there is no review {review_id}")
        row = rows[0]
        latest = conn.execute(
            "SELECT MAX(id) FROM reviews WHERE deck = ? AND card = ?", (row["deck"], row["card"])
        ).fetchone()[0]
        if latest != review_id:
            raise UndoError(
                f"review {review_id} of {row['deck']}/{row['card']} is not its latest review"
            )
        if row["state_before"] is not None:  # NULL: a cram review, the schedule never moved
            before = json.loads(row["state_before"])
            if before is None:
                conn.execute(
                    "DELETE FROM card_state WHERE deck = ? AND card = ?", (row["deck"], row["card"])
                )
            else:
                _save_state(conn, CardState.from_dict(before))
        conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
    return _review_from_row(row)


def undo_last_review(db: Database, *, modes: Iterable[str] = ("drill", "cram")) -> StoredReview:
    """Undo the most recent review made in one of `modes`."""
    wanted = list(modes)
    marks = ",".join("?" * len(wanted))
    rows = db.query(
        f"SELECT id FROM reviews WHERE mode IN ({marks}) ORDER BY id DESC LIMIT 1", tuple(wanted)
    )
    if not rows:
        raise UndoError("there is no review to undo")
    return undo_review(db, rows[0]["id"])


def reviews_total(db: Database) -> int:
    """Reviews: the answers that moved a schedule (drill and mock). Cram answers are logged
    apart (mode 'cram') and never counted as reviews: see `cram_total`."""
    count: int = db.query("SELECT COUNT(*) FROM reviews WHERE mode != 'cram'")[0][0]
    return count


def cram_total(db: Database) -> int:
    """Answers given in cram sessions (logged, never scheduled)."""
    count: int = db.query("SELECT COUNT(*) FROM reviews WHERE mode = 'cram'")[0][0]
    return count


def reviews_between(db: Database, start: datetime, end: datetime) -> int:
    """Reviews (cram answers aside) made from `start` to `end`."""
    count: int = db.query(
        "SELECT COUNT(*) FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ? "
        "AND mode != 'cram'",
        (to_db_time(start), to_db_time(end)),
    )[0][0]
    return count


def introduced_since(db: Database, start: datetime) -> int:
    """Cards whose first scheduled review (drill or mock) happened at or after `start`."""
    count: int = db.query(
        "SELECT COUNT(*) FROM (SELECT MIN(reviewed_at) AS first FROM reviews "
        "WHERE mode != 'cram' GROUP BY deck, card) WHERE first >= ?",
        (to_db_time(start),),
    )[0][0]
    return count


# --- counts per deck -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeckCounts:
    deck: str
    cards: int
    new: int  # never reviewed
    learning: int  # in (re)learning steps
    review: int  # graduated to the review state
    due: int  # scheduled cards a session started now would show
    leeches: int


def deck_counts(
    db: Database,
    library: LoadResult,
    now: datetime | None = None,
    *,
    tz: tzinfo | None = None,
) -> dict[str, DeckCounts]:
    """Per deck of the library (cards that left a deck are not counted), in library order."""
    moment = as_utc(now) if now is not None else utc_now()
    cutoff = review_cutoff(moment, get_interview_date(db), tz)
    learn_ahead = get_learn_ahead(db)
    states = load_states(db)
    counts: dict[str, DeckCounts] = {}
    for deck in library.decks:
        mine = [states.get(card_key(deck.deck, card.id)) for card in deck.cards]
        seen = [s for s in mine if s is not None]
        counts[deck.deck] = DeckCounts(
            deck=deck.deck,
            cards=len(mine),
            new=len(mine) - len(seen),
            learning=sum(1 for s in seen if s.learning),
            review=sum(1 for s in seen if s.state == State.Review),
            due=sum(1 for s in seen if is_due(s, moment, cutoff, learn_ahead)),
            leeches=sum(1 for s in seen if s.is_leech),
        )
    return counts


def due_before(db: Database, moment: datetime, keys: Iterable[str] | None = None) -> int:
    """Scheduled cards (of `keys`) due before `moment`: with the end of tomorrow, what a
    session tomorrow would hold (new cards aside)."""
    rows = db.query("SELECT deck, card FROM card_state WHERE due < ?", (to_db_time(moment),))
    wanted = None if keys is None else set(keys)
    return sum(1 for r in rows if wanted is None or card_key(r["deck"], r["card"]) in wanted)


def leeches(db: Database, library: LoadResult | None = None) -> list[CardState]:
    """Cards with LEECH_LAPSES or more lapses (of the library's cards, if given)."""
    rows = db.query(
        "SELECT * FROM card_state WHERE lapses >= ? ORDER BY lapses DESC, deck, card",
        (LEECH_LAPSES,),
    )
    found = [_state_from_row(row) for row in rows]
    if library is not None:
        present = {card_key(d.deck, c.id) for d in library.decks for c in d.cards}
        found = [s for s in found if s.key in present]
    return found


# --- settings ------------------------------------------------------------------------------------


def get_interview_date(db: Database) -> date | None:
    text = db.get_config(INTERVIEW_DATE_KEY)
    if not text:
        return None
    try:
        return parse_interview_date(text)
    except ValueError:
        return None  # a hand-edited bad value is ignored rather than breaking every screen


def set_interview_date(db: Database, day: date | None) -> None:
    db.set_config(INTERVIEW_DATE_KEY, day.isoformat() if day else None)


def get_new_per_session(db: Database) -> int:
    text = db.get_config(NEW_PER_SESSION_KEY)
    try:
        value = int(text) if text else DEFAULT_NEW_PER_SESSION
    except ValueError:
        return DEFAULT_NEW_PER_SESSION
    return value if value >= 0 else DEFAULT_NEW_PER_SESSION


def set_new_per_session(db: Database, value: int | None) -> None:
    if value is not None:
        parse_new_per_session(str(value))  # the one rule, with its range in the message
    db.set_config(NEW_PER_SESSION_KEY, None if value is None else str(value))


def get_learn_ahead(db: Database) -> timedelta:
    """How early a learning card may be shown when nothing else is left (Anki's learn-ahead
    limit; `quizapp config learn-ahead MINUTES`)."""
    text = db.get_config(LEARN_AHEAD_KEY)
    if not text:
        return LEARN_AHEAD
    try:
        return parse_learn_ahead(text)
    except ValueError:
        return LEARN_AHEAD  # a hand-edited bad value is ignored rather than breaking a drill


def set_learn_ahead(db: Database, value: timedelta | None) -> None:
    """Store the limit in whole minutes (None: back to the default); out of range raises."""
    minutes = None if value is None else str(int(value.total_seconds() // 60))
    if minutes is not None:
        parse_learn_ahead(minutes)  # the one range check, with its message
    db.set_config(LEARN_AHEAD_KEY, minutes)
