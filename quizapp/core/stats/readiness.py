"""What the interview date means today: days left, new cards per day, predicted recall."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from quizapp.core.fsrs_scheduler import CardState
from quizapp.core.interview_pacing import interview_plan
from quizapp.core.stats.recall import recall_probability
from quizapp.core.study_days import day_start


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
