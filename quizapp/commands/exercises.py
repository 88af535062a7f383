"""`quizapp exercises [--json]`: the coding exercises with the learner's status."""

from __future__ import annotations

import argparse
from typing import Any

from quizapp.commands import make_console, print_json
from quizapp.grading.catalogue import load_catalogue
from quizapp.grading.progress import progress_label
from quizapp.storage.db import Database
from quizapp.storage.exercises import statuses
from quizapp.storage.workspace import workspace_file


def run(args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    with Database() as db:
        known = statuses(db)
    rows: list[dict[str, Any]] = []
    for exercise in catalogue.exercises:
        status = known.get(exercise.id)
        rows.append(
            {
                "id": exercise.id,
                "title": exercise.title,
                "topic": exercise.manifest.topic,
                "difficulty": exercise.manifest.difficulty,
                "status": progress_label(exercise, status),
                "best_score": status.best_score if status else None,
                "max_score": status.max_score if status else None,
                "attempts": status.attempts if status else 0,
                "file": str(workspace_file(exercise)),
            }
        )
    errors = [str(e) for e in catalogue.errors]
    if args.json:
        print_json({"exercises": rows, "errors": errors})
        return 0
    from rich.table import Table

    table = Table("id", "title", "status", "best score", box=None, pad_edge=False)
    for row in rows:
        best = (
            f"{row['best_score']:g}/{row['max_score']:g}" if row["best_score"] is not None else "-"
        )
        table.add_row(row["id"], row["title"], row["status"], best)
    console = make_console()
    console.print(table)
    console.print(
        f"{len(rows)} exercise{'s' * (len(rows) != 1)}; "
        "grade one with `quizapp check ID` (it creates your copy from the starter)"
    )
    for error in errors:
        console.print(f"[yellow]{error}[/]")
    return 0
