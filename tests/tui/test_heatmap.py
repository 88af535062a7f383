"""The calendar heatmap's shades stay apart on every terminal. They used to be drawn dimmed
(the Text's own style was dim), which blended them into each other, and GitHub's greens fall
to three colours in a 16-colour terminal (tmux's TERM=screen)."""

from __future__ import annotations

from datetime import date

import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual.app import App, ComposeResult

from quizapp.tui.widgets.heatmap import CELL, CalendarHeatmap


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield CalendarHeatmap()


async def drawn_swatches() -> list[Style]:
    """The styles of the legend's five swatches, as the widget draws them in the app."""
    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        heatmap = app.query_one(CalendarHeatmap)
        heatmap.show(date(2026, 3, 2), [0, 1, 2, 3, 4])
        await pilot.pause()
        [legend] = [
            heatmap.render_line(y)
            for y in range(heatmap.size.height)
            if "less" in heatmap.render_line(y).text
        ]
        return [s.style for s in legend if s.style is not None and s.text.startswith(CELL)]


@pytest.mark.parametrize(
    "system", [ColorSystem.STANDARD, ColorSystem.EIGHT_BIT, ColorSystem.TRUECOLOR]
)
async def test_the_legend_shows_five_different_colours(system: ColorSystem) -> None:
    swatches = await drawn_swatches()
    assert len(swatches) == 5
    assert not any(style.dim for style in swatches)  # a dimmed shade blends into the next
    shown = {style.color.downgrade(system).get_truecolor() for style in swatches if style.color}
    assert len(shown) == 5, f"{system.name}: {len(shown)} colours for 5 swatches"
