"""What the interview date means today: days left, new cards per day, predicted recall."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo
from typing import Any

from pydantic import computed_field
from pydantic.dataclasses import dataclass

from quizapp.core.fsrs_scheduler import CardState
from quizapp.core.interview_pacing import interview_plan
from quizapp.core.json_contract import CONTRACT, Round4, json_document
from quizapp.core.stats.recall import recall_probability
from quizapp.core.study_days import day_start


@dataclass(frozen=True, config=CONTRACT)
class Readiness:
    """What the interview date means today."""

    date: date
    days_left: int
    cards: int
    seen: int
    new_per_day: int
    due_before: int  # seen cards that come due before the interview day
    predicted_recall: Round4 | None  # mean recall of the seen cards on the day, no more reviews
    predicted_recall_all: Round4 | None  # the same over every card (unseen ones count as 0)

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorated property; pydantic's documented way
    @property
    def unseen(self) -> int:
        return self.cards - self.seen

    @computed_field(return_type=Round4 | None)  # type: ignore[prop-decorator]  # mypy rejects a decorated property; pydantic's documented way
    @property
    def seen_share(self) -> float | None:
        return self.seen / self.cards if self.cards else None

    def to_json(self) -> dict[str, Any]:
        return json_document(self)


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
