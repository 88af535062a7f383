"""The two plots of the stats tabs: reviews per day, and mock interview scores.

plotext takes ~0.1 s to import: the tabs import this module when they are first shown, not
on the way to the screen's first paint.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual.reactive import reactive
from textual_plotext import PlotextPlot

from quizapp.core.stats import PLOT_DAYS, StatsReport

MOCKS_PLOTTED = 30  # the most recent ones


class ReviewsPlot(PlotextPlot):
    """Reviews per day over the last `PLOT_DAYS` days, as bars."""

    report: reactive[StatsReport | None] = reactive(None)

    def watch_report(self, report: StatsReport | None) -> None:
        if report is None:
            return
        act = report.activity
        recent = act.daily[-PLOT_DAYS:]
        first = act.last - timedelta(days=len(recent) - 1)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        xs = list(range(len(recent)))
        plt.bar(xs, list(recent), color="green", marker="hd", width=1)
        ticks = xs[:: max(1, len(xs) // 6)]
        positions: list[float] = list(ticks)  # plotext's stubs say float; ints are fine
        plt.xticks(positions, [_short_date(first + timedelta(days=i)) for i in ticks])
        plt.yticks(*_count_ticks(max(recent, default=0)))
        self.refresh()


class MockPlot(PlotextPlot):
    """Mock interview scores in percent, oldest first; hidden until there are two."""

    report: reactive[StatsReport | None] = reactive(None)

    def watch_report(self, report: StatsReport | None) -> None:
        if report is None:
            return
        percents = report.mock_trend.percents
        if not report.mock_trend.count:
            self.display = False
            return
        shown = list(percents[-MOCKS_PLOTTED:])
        first = len(percents) - len(shown) + 1
        xs = list(range(first, first + len(shown)))
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.plot(xs, shown, color="cyan", marker="braille")
        plt.scatter(xs, shown, color="cyan", marker="●")
        plt.ylim(0, 100)
        plt.yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        step = max(1, len(xs) // 8)
        positions: list[float] = list(xs[::step])
        plt.xticks(positions, [str(x) for x in xs[::step]])
        self.display = len(shown) > 1
        self.refresh()


def _short_date(day: date) -> str:
    return day.strftime("%b %d")


def _count_ticks(top: int) -> tuple[list[float], list[str]]:
    """Whole-number ticks for a count axis: 0 and up to four round steps."""
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        step = candidate
        if top / candidate <= 4:
            break
    ticks: list[float] = list(range(0, max(top, 1) + 1, step))
    return ticks, [str(t) for t in ticks]
