"""The environment settings: read afresh each call, empty means unset, a bad value named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quizapp.cli import main
from quizapp.storage.locations import extra_deck_paths, locations
from quizapp.storage.settings import SettingsError, settings


def test_read_afresh_each_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZAPP_HOME", str(tmp_path / "one"))
    assert locations().data_dir == tmp_path / "one" / "data"
    monkeypatch.setenv("QUIZAPP_HOME", str(tmp_path / "two"))
    assert locations().data_dir == tmp_path / "two" / "data"
    monkeypatch.setenv("QUIZAPP_WORKSPACE", str(tmp_path / "ws"))
    assert locations().workspace_dir == tmp_path / "ws"


def test_defaults_and_empty_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QUIZAPP_GRADE_THREADS", "QUIZAPP_TEST_BASELINE_SEED", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QUIZAPP_SANDBOX", "")
    current = settings()
    assert current.sandbox == "auto"
    assert current.grade_threads is None
    assert current.test_baseline_seed is None
    assert current.editor_command is None


def test_values_are_read_and_tidied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZAPP_GRADE_THREADS", " 3 ")
    monkeypatch.setenv("QUIZAPP_SANDBOX", "Off")
    monkeypatch.setenv("QUIZAPP_DECKS", os.pathsep.join([str(tmp_path / "a"), "", "~/b"]))
    monkeypatch.setenv("EDITOR", "vim")
    monkeypatch.setenv("VISUAL", "code -w")
    current = settings()
    assert current.grade_threads == 3
    assert current.sandbox == "off"
    assert current.editor_command == "code -w"
    assert extra_deck_paths()[1:] == [tmp_path / "a", Path("~/b").expanduser()]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QUIZAPP_GRADE_THREADS", "abc"),
        ("QUIZAPP_GRADE_THREADS", "0"),
        ("QUIZAPP_SANDBOX", "maybe"),
        ("QUIZAPP_TEST_BASELINE_SEED", "seven"),
    ],
)
def test_a_bad_value_is_named(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        settings()
    assert main(["decks"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert name in captured.err and repr(value) in captured.err
    assert "Traceback" not in captured.err
