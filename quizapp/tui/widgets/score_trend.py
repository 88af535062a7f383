"""Mock scores as a small bar chart with labelled axes: percent up the side, the mocks shown
(first and last id) along the bottom, oldest on the left.

The widget only draws what the screen gives it: (mock id, percent) pairs, oldest first. The
latest that fit the width are shown, one column each (with a gap between them when they fit).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BARS = " ▁▂▃▄▅▆▇█"
PLOT_ROWS = 3
LABEL_WIDTH = 5  # "100% "
Y_LABELS = {0: "100%", PLOT_ROWS // 2: " 50%"}


class ScoreTrend(Widget):
    DEFAULT_CSS = """
    ScoreTrend {
        height: 5;
        width: 1fr;
    }
    """

    scores: reactive[tuple[tuple[str, float], ...]] = reactive(())

    def show(self, scores: Sequence[tuple[str, float]]) -> None:
        self.scores = tuple((str(mock_id), float(percent)) for mock_id, percent in scores)

    def shown(self) -> tuple[tuple[str, float], ...]:
        """The latest scores that fit the width, and the column step between them."""
        return self.scores[-self._fits() :] if self.scores else ()

    def _plot_width(self) -> int:
        return max(self.size.width - LABEL_WIDTH - 2, 1)  # the axis and a space before

    def _step(self) -> int:
        return 2 if 2 * len(self.scores) - 1 <= self._plot_width() else 1

    def _fits(self) -> int:
        return max((self._plot_width() + self._step() - 1) // self._step(), 1)

    def render(self) -> Text:
        shown = self.shown()
        if not shown:
            return Text("")
        step = self._step()
        width = (len(shown) - 1) * step + 1
        out = Text()
        for row in range(PLOT_ROWS):
            base = (PLOT_ROWS - 1 - row) * 8  # eighths of a row below this one
            out.append(Y_LABELS.get(row, "").rjust(LABEL_WIDTH - 1) + " ┤ ", style="dim")
            cells = [" "] * width
            for k, (_, percent) in enumerate(shown):
                # A 0% mock still shows as a sliver: every mock drawn is a mock taken.
                eighths = max(round(min(max(percent, 0.0), 100.0) / 100 * PLOT_ROWS * 8), 1)
                cells[k * step] = BARS[min(max(eighths - base, 0), 8)]
            out.append("".join(cells).rstrip())
            out.append("\n")
        out.append("  0% └" + "─" * (width + 2), style="dim")
        out.append("\n")
        first, last = f"#{shown[0][0]}", f"#{shown[-1][0]}"
        labels = " " * (LABEL_WIDTH + 2) + first
        if len(shown) > 1:
            end = LABEL_WIDTH + 2 + width  # one past the last bar's column
            labels = labels.ljust(max(end - len(last), len(labels) + 1)) + last
        out.append(labels, style="dim")
        return out
