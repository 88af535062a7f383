"""A calendar heatmap of study days (as on Anki's stats or a GitHub profile).

The widget only draws: the screen gives it the first day, the shade of each day (0 for no
reviews, 1..4 darker to brighter; `core.stats.heat_levels` chooses them) and the counts. Weeks
run left to right, Monday on top; the most recent weeks that fit the width are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

# None, then four levels from dark teal to lime: GitHub's greens, spread so that they stay
# five different colours in a 256- or 16-colour terminal too (tmux's TERM=screen is 16), where
# GitHub's own collapse to three.
SHADES = ("#30363d", "#00875f", "#00a050", "#3fd85a", "#d7f25c")
CELL = "■"
DAY_LABELS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
LABEL_WIDTH = 4
COLUMN_WIDTH = 2  # a cell and a gap


class CalendarHeatmap(Widget):
    DEFAULT_CSS = """
    CalendarHeatmap {
        height: 9;
        width: 1fr;
    }
    """

    start: reactive[date | None] = reactive(None, layout=False)
    levels: reactive[tuple[int, ...]] = reactive(())

    def show(self, start: date, levels: Sequence[int]) -> None:
        """Days from `start` on, one shade each (the last one is today)."""
        self.set_reactive(CalendarHeatmap.start, start)
        self.levels = tuple(levels)

    def weeks_that_fit(self) -> int:
        return max(1, (self.size.width - LABEL_WIDTH) // COLUMN_WIDTH)

    def render(self) -> Text:
        if self.start is None or not self.levels:
            return Text("")
        first_monday = self.start - timedelta(days=self.start.weekday())
        last_day = self.start + timedelta(days=len(self.levels) - 1)
        total_weeks = (last_day - first_monday).days // 7 + 1
        weeks = min(total_weeks, self.weeks_that_fit())
        origin = first_monday + timedelta(weeks=total_weeks - weeks)

        months = [" "] * (LABEL_WIDTH + weeks * COLUMN_WIDTH)
        free_from = LABEL_WIDTH
        for week in range(weeks):
            monday = origin + timedelta(weeks=week)
            sunday = monday + timedelta(days=6)
            starts_month = sunday.day <= 7 or week == 0
            column = LABEL_WIDTH + week * COLUMN_WIDTH
            label = sunday.strftime("%b") if sunday.day <= 7 else monday.strftime("%b")
            if starts_month and column >= free_from and column + len(label) <= len(months):
                months[column : column + len(label)] = label
                free_from = column + len(label) + 1
        # Dim is given span by span: as the Text's own style it would dim every shade too,
        # and dimmed shades blend into each other.
        out = Text()
        out.append("".join(months).rstrip(), style="dim")
        for row in range(7):
            out.append("\n")
            out.append(DAY_LABELS[row].ljust(LABEL_WIDTH), style="dim")
            for week in range(weeks):
                day = origin + timedelta(weeks=week, days=row)
                index = (day - self.start).days
                if 0 <= index < len(self.levels):
                    shade = SHADES[min(self.levels[index], len(SHADES) - 1)]
                    out.append(CELL, style=shade)
                    out.append(" ")
                else:
                    out.append("  ")
        out.append("\n")
        out.append(" " * LABEL_WIDTH + "less ", style="dim")
        for shade in SHADES:
            out.append(CELL + " ", style=shade)
        out.append("more", style="dim")
        return out
