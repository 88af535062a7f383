"""The learner's workspace: their copy of each exercise's starter, and the copies a reset keeps.

    <workspace>/<exercise id>/<file name>     the learner's copy (see `locations().workspace_dir`)
    <workspace>/<exercise id>/backups/        what a reset replaced, stamped with its time
    <data>/interview-loops/<loop id>/<file>   an interview loop's own fresh copy (the
                                              learner's workspace copy is never touched)

Paths are resolved on each call: tests move `QUIZAPP_HOME` between runs.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from quizapp.storage.locations import locations


class ExerciseFiles(Protocol):
    """What the workspace needs to know of an exercise (`grading.catalogue.Exercise` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def file_name(self) -> str: ...  # the learner's file, e.g. ptq_resnet18.py

    @property
    def starter(self) -> Path: ...


def workspace_file(exercise: ExerciseFiles) -> Path:
    """The learner's copy (it may not exist yet: see `ensure_workspace`)."""
    return locations().workspace_dir / exercise.id / exercise.file_name


def backups_dir(exercise: ExerciseFiles) -> Path:
    return locations().workspace_dir / exercise.id / "backups"


def _copy_once(starter: Path, target: Path) -> Path:
    """`target`, copied from the starter if it does not exist yet (atomically: a crash never
    leaves half a file where the learner's code goes)."""
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(starter, tmp)
        tmp.replace(target)
    return target


def ensure_workspace(exercise: ExerciseFiles) -> Path:
    """The learner's copy, created from the starter the first time."""
    return _copy_once(exercise.starter, workspace_file(exercise))


def reset_workspace(exercise: ExerciseFiles, now: datetime | None = None) -> Path | None:
    """Put the starter back; the learner's copy is kept in backups/. Returns the backup path."""
    target = workspace_file(exercise)
    backup = None
    if target.exists():
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
        folder = backups_dir(exercise)
        folder.mkdir(parents=True, exist_ok=True)
        backup = folder / f"{target.stem}-{stamp}{target.suffix}"
        n = 1
        while backup.exists():
            backup = folder / f"{target.stem}-{stamp}-{n}{target.suffix}"
            n += 1
        shutil.copy2(target, backup)
        target.unlink()
    ensure_workspace(exercise)
    return backup


def loop_copy(exercise: ExerciseFiles, loop_id: str) -> Path:
    """An interview loop's copy of the starter, made fresh the first time (never the learner's
    workspace copy: a loop starts from the starter, as an interview would)."""
    target = locations().data_dir / "interview-loops" / loop_id / exercise.file_name
    return _copy_once(exercise.starter, target)
