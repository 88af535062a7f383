"""The per-check list of a grading run: one row per check with its status, the figure it
measured, what it needed, and its explanation.

Display only: the exercise screen turns the runner's events into `CheckRow`s and sets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

# status -> (symbol, style); "pending"/"running" exist only while grading.
STATUS_LOOK: dict[str, tuple[str, str]] = {
    "pass": ("✓", "bold green"),
    "fail": ("✗", "bold red"),
    "error": ("!", "bold red"),
    "warn": ("~", "bold yellow"),
    "skip": ("-", "dim"),
    "pending": ("·", "dim"),
    "running": ("…", "bold cyan"),
}


@dataclass(frozen=True)
class CheckRow:
    name: str
    status: str
    measured: str = ""
    threshold: str = ""
    message: str = ""
    soft: bool = False


class CheckTable(Static):
    """The checks of one run, in order; messages wrap under narrow widths."""

    DEFAULT_CSS = """
    CheckTable {
        height: auto;
        padding: 0 1;
    }
    """

    rows: reactive[tuple[CheckRow, ...]] = reactive((), layout=True)

    def set_rows(self, rows: Sequence[CheckRow]) -> None:
        self.rows = tuple(rows)

    def render(self) -> Table | Text:
        if not self.rows:
            return Text("No checks run yet.", style="dim")
        table = Table(box=None, expand=True, padding=(0, 1), show_edge=False)
        table.add_column("", width=1, no_wrap=True)
        table.add_column("check", no_wrap=True, max_width=34, overflow="ellipsis")
        table.add_column("measured", no_wrap=True, max_width=26, overflow="ellipsis")
        table.add_column("needs", no_wrap=True, max_width=26, overflow="ellipsis")
        table.add_column("", ratio=1)
        for row in self.rows:
            symbol, style = STATUS_LOOK.get(row.status, ("?", ""))
            quiet = row.status in ("pass", "skip", "pending")
            table.add_row(
                Text(symbol, style=style),
                Text(row.name, style="dim" if row.status in ("skip", "pending") else ""),
                Text(row.measured, style="bold" if row.status in ("fail", "error") else ""),
                Text(row.threshold, style="dim"),
                Text(row.message, style="dim" if quiet else ""),
            )
        return table
