"""The learner's workspace copies: created from the starter once, reset into backups/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from quizapp.grading.catalogue import load_catalogue
from quizapp.storage.workspace import ensure_workspace, reset_workspace


def test_workspace_copy_reset_keeps_a_backup(quizapp_home: Path) -> None:
    exercise = load_catalogue().get("ptq-resnet18")
    copy = ensure_workspace(exercise)
    assert copy == quizapp_home / "workspace" / "ptq-resnet18" / "ptq_resnet18.py"
    assert copy.read_text() == exercise.starter.read_text()
    copy.write_text("# my work\n")
    assert ensure_workspace(exercise).read_text() == "# my work\n"  # never overwritten
    moment = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    backup = reset_workspace(exercise, now=moment)
    assert backup is not None and backup.read_text() == "# my work\n"
    assert backup.name == "ptq_resnet18-20261128T093000.py"
    assert copy.read_text() == exercise.starter.read_text()
    assert reset_workspace(exercise, now=moment).name == "ptq_resnet18-20261128T093000-1.py"
