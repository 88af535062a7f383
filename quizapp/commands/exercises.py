"""`quizapp exercises [--json]`: the coding exercises with the learner's status.

`ExercisesDocument` is the `--json` contract (`quizapp schema exercises` prints its JSON
Schema)."""

from __future__ import annotations

import argparse

from pydantic import BaseModel, ConfigDict

from quizapp.commands import make_console, print_json
from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.progress import progress_label
from quizapp.storage.db import Database
from quizapp.storage.exercises import statuses
from quizapp.storage.workspace import workspace_file


class ExerciseRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    topic: str
    difficulty: str
    status: str  # new | started | failed | passed
    best_score: float | None
    max_score: float | None
    attempts: int
    file: str  # the learner's copy


class ExercisesDocument(BaseModel):
    """The `quizapp exercises --json` document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exercises: list[ExerciseRow]
    errors: list[str]


def run(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    with Database() as db:
        known = statuses(db)
    rows: list[ExerciseRow] = []
    for exercise in catalogue.exercises:
        status = known.get(exercise.id)
        rows.append(
            ExerciseRow(
                id=exercise.id,
                title=exercise.title,
                topic=exercise.manifest.topic,
                difficulty=exercise.manifest.difficulty,
                status=progress_label(exercise, status),
                best_score=status.best_score if status else None,
                max_score=status.max_score if status else None,
                attempts=status.attempts if status else 0,
                file=str(workspace_file(exercise)),
            )
        )
    errors = [str(e) for e in catalogue.errors]
    if args.json:
        document = ExercisesDocument(exercises=rows, errors=errors)
        print_json(document.model_dump(mode="json"))
        return 0
    from rich.table import Table

    table = Table("id", "topic", "title", "status", "best score", box=None, pad_edge=False)
    for row in rows:
        best = f"{row.best_score:g}/{row.max_score or 0:g}" if row.best_score is not None else "-"
        table.add_row(row.id, row.topic, row.title, row.status, best)
    console = make_console()
    console.print(table)
    console.print(
        f"{len(rows)} exercise{'s' * (len(rows) != 1)}; "
        "grade one with `quizapp check ID` (it creates your copy from the starter)"
    )
    for error in errors:
        console.print(f"[yellow]{error}[/]")
    return 0
