"""The per-check list of a grading run: one row per check with its status, the figure it
measured, what it needed, and its explanation.

Display only: the exercise screen turns the runner's events into `CheckRow`s and sets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group
from rich.padding import Padding
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


NAME_WIDTH = 34
MEASURED_WIDTH = 28
NEEDS_WIDTH = 36


@dataclass(frozen=True)
class CheckRow:
    name: str
    status: str
    measured: str = ""
    threshold: str = ""
    message: str = ""
    soft: bool = False


class CheckTable(Static):
    """The checks of one run, in order: status, name, measured figure, what it needs, and
    the check's explanation below it."""

    DEFAULT_CSS = """
    CheckTable {
        height: auto;
        padding: 0 1;
    }
    """

    rows: reactive[tuple[CheckRow, ...]] = reactive((), layout=True)
    # Before any grade the panel's status line says how to run one: nothing to add here.
    empty: reactive[str] = reactive("")

    def set_rows(self, rows: Sequence[CheckRow], empty: str = "No checks run yet.") -> None:
        """`empty`: what to say when there are no rows."""
        self.rows = tuple(rows)
        self.empty = empty

    def render(self) -> Group | Text:
        if not self.rows:
            return Text(self.empty, style="dim")
        # One grid per check (same column widths), its message on the lines below it: long
        # explanations get the whole width instead of a narrow last column.
        measured_width = min(max([len(r.measured) for r in self.rows] + [8]), MEASURED_WIDTH)
        needs_width = min(max([len(r.threshold) for r in self.rows] + [5]), NEEDS_WIDTH)
        # Names get what the figures leave of a wide panel (at least NAME_WIDTH): the lab's
        # read "layer output error <= 0.7x round-to-nearest's".
        room = self.content_size.width - (1 + measured_width + needs_width + 6)
        name_width = min(max(len(r.name) for r in self.rows), max(NAME_WIDTH, room))

        def grid() -> Table:
            table = Table.grid(padding=(0, 2))
            table.add_column(width=1, no_wrap=True)
            table.add_column(width=name_width, no_wrap=True, overflow="ellipsis")
            table.add_column(width=measured_width, no_wrap=True, overflow="ellipsis")
            table.add_column(width=needs_width, no_wrap=True, overflow="ellipsis")
            return table

        header = grid()
        header.add_row("", "check", "measured", "needs", style="bold dim")
        parts: list[Table | Padding] = [header]
        # A message that fits beside its row goes there; a longer one goes below it.
        beside = self.content_size.width - (1 + name_width + measured_width + needs_width + 8)
        for row in self.rows:
            symbol, style = STATUS_LOOK.get(row.status, ("?", ""))
            quiet = row.status in ("pass", "skip", "pending")
            message = Text(row.message, style="dim" if quiet else "")
            inline = bool(row.message) and "\n" not in row.message and len(row.message) <= beside
            line = grid()
            cells = [
                Text(symbol, style=style),
                Text(row.name, style="dim" if row.status in ("skip", "pending") else "bold"),
                Text(row.measured, style="bold" if row.status in ("fail", "error") else ""),
                Text(row.threshold, style="dim"),
            ]
            if inline:
                line.add_column(no_wrap=True)
                cells.append(message)
            line.add_row(*cells)
            parts.append(line)
            if row.message and not inline:
                parts.append(Padding(message, (0, 0, 0, 3)))
        return Group(*parts)
