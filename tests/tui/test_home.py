"""The home screen lists the decks and shows deck errors as a visible notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static
from tui.drill_support import fixture_library
from tui.screen_text import screen_lines, shown_footer_keys, whole_on_screen
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


# --- small terminals ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_home_fits_small_terminals(size: tuple[int, int]) -> None:
    """The shipped decks: every count whole (the New column was cut to one digit at 80
    columns), every deck's Due and New on its line, and Quit once in the footer."""
    app = QuizApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#decks", DataTable)
        lines = screen_lines(app)
        content = table.scrollable_content_region  # the cells, not the scrollbar

        def table_line(line: str) -> str:
            return line[content.x : content.right]

        header = lines[table.region.y]
        labels = [str(column.label) for column in table.columns.values()]
        for label in labels:
            assert f" {label} " in f"{header} ", (label, header)
        assert table.row_count >= 8
        for index, row_key in enumerate(table.rows):
            y = table.region.y + table.header_height + index - round(table.scroll_y)
            if y >= table.region.bottom:
                break
            row = table.get_row(row_key)
            due, new = str(row[4]), str(row[5])
            assert table_line(lines[y]).split()[-2:] == [due, new], table_line(lines[y])
        keys = await shown_footer_keys(pilot, app)
        assert [k for k in keys if k.endswith("Quit")] == ["q Quit"]
        assert keys[:3] == ["d Drill", "m Mock", "e Exercises"]
        assert "^p palette" in keys
        assert whole_on_screen(app, app.screen.query_one("#deck-summary"))


async def test_home_footer_shows_quit_once(user_decks: Path) -> None:
    """Home binds q to quit beside the app's ctrl+q: the footer showed both."""
    app = QuizApp()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        keys = await shown_footer_keys(pilot, app)
        assert [k for k in keys if k.endswith("Quit")] == ["q Quit"]
        assert keys[-1] == "^p palette"


def test_home_at_80x24(snap_compare) -> None:
    assert snap_compare(QuizApp(library=fixture_library()), terminal_size=(80, 24))
