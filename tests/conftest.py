"""Every test runs against its own QUIZAPP_HOME: the learner's real data is never touched."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


@pytest.fixture(autouse=True)
def quizapp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "quizapp-home"
    home.mkdir()
    monkeypatch.setenv("QUIZAPP_HOME", str(home))
    for name in ("QUIZAPP_DECKS", "QUIZAPP_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def repo() -> Path:
    return REPO


def pytest_configure(config: pytest.Config) -> None:
    # Textual must not pick up a developer's terminal settings in snapshot tests.
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
