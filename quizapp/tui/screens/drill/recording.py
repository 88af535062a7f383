"""Storing a drill review: the rating and the answer as given go to the database with the card's
new schedule (one transaction), then into the session's log."""

from __future__ import annotations

from datetime import datetime

from fsrs import Rating

from quizapp.core.drill_queue import DrillSession, SessionCard, SessionReview
from quizapp.core.fsrs_scheduler import CardState
from quizapp.storage.db import Database
from quizapp.storage.reviews import load_state, record_review


def store_review(
    db: Database,
    session: DrillSession,
    card: SessionCard,
    rating: Rating,
    *,
    now: datetime,
    duration_ms: int,
    correct: bool | None,
    answer: object,
    override: bool,
    hint_used: bool,
) -> tuple[SessionReview, CardState | None]:
    """The session's log entry and the card's new state (None in cram, which schedules
    nothing). A database error (sqlite3.Error) is raised before the session's log changes."""
    review_id = record_review(
        db,
        card.deck,
        card.card.id,
        rating,
        mode="cram" if session.cram else "drill",
        duration_ms=duration_ms,
        correct=correct,
        answer=answer,
        now=now,
        override=override,
        hint_used=hint_used,
    )
    new_state = None if session.cram else load_state(db, card.deck, card.card.id)
    entry = session.record(
        card.key,
        rating,
        now,
        new_state=new_state,
        correct=correct,
        duration_ms=duration_ms,
        review_id=review_id,
    )
    return entry, new_state
