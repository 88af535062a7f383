"""The checks list and the "first to fix" line say each figure whole, and say nothing for a
figure that was not measured."""

from __future__ import annotations

from textual.app import App, ComposeResult
from tui.screen_text import screen_lines

from quizapp.grading.results import CheckResult, GradeResult
from quizapp.tui.screens.exercises.grade_panel import _first_problem
from quizapp.tui.widgets.grade_report import NAME_WIDTH, CheckRow, CheckTable

LONG_NAME = "layer output error <= 0.7x round-to-nearest's"  # the lab's gptq


class ChecksApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CheckTable()


async def test_a_wide_panel_shows_long_check_names_whole() -> None:
    assert len(LONG_NAME) > NAME_WIDTH
    rows = [
        CheckRow(LONG_NAME, "fail", "0.93", "<= 0.7"),
        CheckRow("bits/byte cost at 3 bits <= 0.5x RTN's", "pass", "0.20", "<= 0.5"),
    ]
    app = ChecksApp()
    async with app.run_test(size=(120, 10)) as pilot:
        app.query_one(CheckTable).set_rows(rows)
        await pilot.pause()
        assert any(LONG_NAME in line for line in screen_lines(app))
        await pilot.resize_terminal(60, 10)  # a narrow one still cuts, with an ellipsis
        await pilot.pause()
        assert not any(LONG_NAME in line for line in screen_lines(app))
        [row] = [line for line in screen_lines(app) if "layer output error" in line]
        assert "round-to-…" in row and "0.93" in row and "<= 0.7" in row


def test_first_to_fix_leaves_out_a_figure_that_was_not_measured() -> None:
    failed = CheckResult("every Linear quantized", "error", "gptq() raised", None, "17 of 17")
    result = GradeResult("gptq", "error", 0, 4, 1.0, "gptq() raised", (failed,))
    text = _first_problem(result)
    assert text is not None
    first_line = text.plain.splitlines()[0]
    assert first_line == "First to fix: every Linear quantized  needs 17 of 17"
