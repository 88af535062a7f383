"""The learner's file as the exercise screen's editor holds it: atomic saves, other editors'
changes, and unsaved text kept rather than lost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from quizapp.storage.workspace_file import WorkspaceFile

NOW = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def file(tmp_path: Path) -> WorkspaceFile:
    path = tmp_path / "workspace" / "quantize.py"
    path.parent.mkdir()
    path.write_text("starter\n", encoding="utf-8")
    return WorkspaceFile(path, path.parent / "backups")


def test_save_writes_the_whole_text_and_leaves_no_temporary(file: WorkspaceFile) -> None:
    assert not file.is_unsaved("starter\n") and file.is_unsaved("mine\n")
    file.save("mine\n")
    assert file.path.read_text() == "mine\n" and not file.is_unsaved("mine\n")
    assert sorted(p.name for p in file.path.parent.iterdir()) == ["quantize.py"]


def test_a_change_on_disk_that_matches_the_editor_is_no_conflict(file: WorkspaceFile) -> None:
    file.path.write_text("mine\n")
    change = file.settle("mine\n")
    assert (change.differs, change.kept) == (False, None)
    assert not file.is_unsaved("mine\n")


def test_a_change_on_disk_over_a_clean_editor_keeps_no_backup(file: WorkspaceFile) -> None:
    file.path.write_text("theirs\n")
    change = file.settle("starter\n")
    assert (change.text, change.differs, change.kept) == ("theirs\n", True, None)
    assert not file.backups_dir.exists()


def test_a_conflict_keeps_the_unsaved_text_in_a_backup(file: WorkspaceFile) -> None:
    file.path.write_text("theirs\n")
    change = file.settle("mine, unsaved\n")
    assert change.differs and change.kept is not None
    assert change.kept.parent == file.backups_dir
    assert change.kept.read_text() == "mine, unsaved\n"
    assert file.read() == "theirs\n" and not file.is_unsaved("theirs\n")


def test_backups_of_the_same_second_do_not_overwrite_each_other(file: WorkspaceFile) -> None:
    first = file.keep_unsaved("one", now=NOW)
    second = file.keep_unsaved("two", now=NOW)
    assert first != second and (first.read_text(), second.read_text()) == ("one", "two")
    assert first.name == "quantize-unsaved-20260501T093000.py"


def test_an_unreadable_file_leaves_the_editor_text_unsaved(file: WorkspaceFile) -> None:
    file.forget_saved("mine\n")
    assert file.is_unsaved("mine\n")
    file.forget_saved("")
    assert file.is_unsaved("")
