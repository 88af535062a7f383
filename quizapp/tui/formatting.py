"""Display formatting shared by screens: the exercise list and the exercise's status bar write
a best score the same way."""

from __future__ import annotations

from quizapp.storage.exercises import ExerciseStatus


def best_score_text(status: ExerciseStatus | None) -> str:
    """The best score as "7/9"; "-" when never graded, or only errors (no check ran)."""
    if status is None or status.best_score is None or not status.max_score:
        return "-"
    return f"{status.best_score:g}/{status.max_score or 0:g}"
