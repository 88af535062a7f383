"""The calendar heatmap's shades stay apart on every terminal: a 16-colour one (tmux's default
TERM=screen) used to show GitHub's five greens as three colours."""

from __future__ import annotations

from datetime import date

import pytest
from rich.color import Color, ColorSystem

from quizapp.tui.widgets.heatmap import CELL, CalendarHeatmap


@pytest.mark.parametrize(
    "system", [ColorSystem.STANDARD, ColorSystem.EIGHT_BIT, ColorSystem.TRUECOLOR]
)
def test_the_legend_shows_five_different_colours(system: ColorSystem) -> None:
    heatmap = CalendarHeatmap()
    heatmap.show(date(2026, 3, 2), [0, 1, 2, 3, 4])
    text = heatmap.render()
    legend_from = text.plain.rindex("less")
    swatches = [
        str(span.style)
        for span in text.spans
        if span.start > legend_from and text.plain[span.start : span.end].startswith(CELL)
    ]
    assert len(swatches) == 5
    shown = {Color.parse(colour).downgrade(system).get_truecolor() for colour in swatches}
    assert len(shown) == 5, f"{system.name}: {len(shown)} colours for 5 swatches"
