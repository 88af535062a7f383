"""The home screen lists the decks and shows deck errors as a visible notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from unit.test_loader import GOOD

from quizapp.tui.app import QuizApp


@pytest.fixture
def user_decks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "calibration.yaml").write_text(GOOD)
    monkeypatch.setenv("QUIZAPP_DECKS", str(folder))
    return folder


async def test_home_lists_decks_and_quits(user_decks: Path) -> None:
    app = QuizApp()
    async with app.run_test(size=(110, 30)) as pilot:
        table = app.screen.query_one("#decks", DataTable)
        keys = [row.value for row in table.rows]
        assert "test-calibration" in keys
        assert table.get_row("test-calibration")[2] == "6"
        assert not app.screen.query_one("#deck-errors", Static).display
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_home_shows_deck_errors(user_decks: Path) -> None:
    (user_decks / "broken.yaml").write_text("deck: x\ntitle: [\n")
    app = QuizApp()
    async with app.run_test(size=(110, 30)) as pilot:
        notice = app.screen.query_one("#deck-errors", Static)
        assert notice.display
        assert "broken.yaml:3:1" in str(notice.render())
        await pilot.press("q")
