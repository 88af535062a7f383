"""The learner's progress on an exercise in one word, the same in the app and the CLI.

Plain Python (the CLI and the TUI both import it): new | started | failed | passed. A grade's
own status (pass | fail | error | timeout, the `check --json` contract) is another thing: it says how one
run ended, this says where the learner stands.
"""

from __future__ import annotations

from quizapp.grading.catalogue import Exercise
from quizapp.storage.exercises import ExerciseStatus
from quizapp.storage.workspace import workspace_file

PROGRESS_LABELS = ("new", "started", "failed", "passed")


def progress_label(exercise: Exercise, status: ExerciseStatus | None) -> str:
    """new | started | failed | passed: started means the learner's copy differs from the
    starter (or a hint was read) but was never graded; failed, graded and never passed."""
    if status is not None and status.passed:
        return "passed"
    if status is not None and status.attempts:
        return "failed"
    if status is not None and status.hints_shown:
        return "started"
    try:
        mine = workspace_file(exercise).read_bytes()
    except OSError:
        return "new"
    return "started" if mine != exercise.starter.read_bytes() else "new"
