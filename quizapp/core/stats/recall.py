"""Recall: FSRS retrievability of a card at a moment, and what counts as mastered."""

from __future__ import annotations

from datetime import datetime

from fsrs import State

from quizapp.core.fsrs_scheduler import DESIRED_RETENTION, SCHEDULER, CardState

TARGET_RETENTION = DESIRED_RETENTION

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
