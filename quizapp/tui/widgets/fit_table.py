"""A DataTable that fits its width instead of running off the right edge.

A DataTable sizes every column to its longest cell and lets the rest fall off screen: at
80 columns the home screen lost its New counts and the exercise list its Status, Best and
Hints. Here the columns that may give way (titles, names) are cut with an ellipsis, in
the order given, after long labels have been swapped for short ones; the counts and
statuses stay whole. The rows are kept, so a resize lays them out again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.events import Resize
from textual.widgets import DataTable

Cell = str | Text


@dataclass(frozen=True)
class Column:
    label: str
    short: str | None = None  # the label when the table is too narrow for `label`
    give_way: int | None = None  # cut first when lower; None: never cut
    min_width: int = 6  # what a column that gives way keeps


class FitTable(DataTable):
    """A DataTable whose rows are set as a whole (`set_rows`) and laid out for its width."""

    def __init__(self, columns: Sequence[Column], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fit_columns = tuple(columns)
        self._rows: list[tuple[str, tuple[Cell, ...]]] = []
        self._laid_out_for: tuple[int, int] | None = None

    def set_rows(self, rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        """Replace the rows (key, cells), keeping the cursor on the same row number."""
        self._rows = [(key, tuple(cells)) for key, cells in rows]
        self._lay_out()

    def on_resize(self, event: Resize) -> None:
        if self._room() != self._laid_out_for:
            self._lay_out()

    def _room(self) -> tuple[int, int]:
        """The width the cells have, and the row count it was measured for (a vertical
        scrollbar appears when the rows pass the height)."""
        width = self.size.width - self.styles.gutter.width
        if len(self._rows) + self.header_height > self.size.height:
            width -= self.styles.scrollbar_size_vertical
        return width, len(self._rows)

    def widths(self, width: int) -> tuple[list[str], list[int | None]]:
        """The labels and the widths the cells are cut to (None: whole) for `width`."""
        labels = [c.label for c in self.fit_columns]
        natural = self._natural(labels)
        padding = 2 * self.cell_padding * len(labels)
        if width and sum(natural) + padding > width:
            labels = [c.short or c.label for c in self.fit_columns]
            natural = self._natural(labels)
        limits: list[int | None] = [None] * len(labels)
        excess = sum(natural) + padding - width if width else 0
        order = sorted(
            (c.give_way, i) for i, c in enumerate(self.fit_columns) if c.give_way is not None
        )
        # First down to each column's `min_width`, then (a very narrow terminal) down to
        # its label: the columns that never give way stay whole as long as possible.
        for floors in (
            [
                max(c.min_width, cell_len(label))
                for c, label in zip(self.fit_columns, labels, strict=True)
            ],
            [cell_len(label) for label in labels],
        ):
            for _, i in order:
                if excess <= 0:
                    break
                limit = limits[i]
                current = natural[i] if limit is None else limit
                cut = min(excess, current - floors[i])
                if cut > 0:
                    limits[i] = current - cut
                    excess -= cut
        return labels, limits

    def _natural(self, labels: Sequence[str]) -> list[int]:
        return [
            max([cell_len(label)] + [_width(cells[i]) for _, cells in self._rows])
            for i, label in enumerate(labels)
        ]

    def _lay_out(self) -> None:
        if not self.columns:
            self.add_columns(*(c.label for c in self.fit_columns))
        room = self._room()
        self._laid_out_for = room
        labels, limits = self.widths(room[0] if self.size.width else 0)
        cursor_row = self.cursor_row
        self.clear()
        for column, label in zip(self.columns.values(), labels, strict=True):
            # The rows added below widen the column again (DataTable only ever widens).
            column.label = Text(label)
            column.content_width = cell_len(label)
        for key, cells in self._rows:
            self.add_row(*(_cut(c, limit) for c, limit in zip(cells, limits, strict=True)), key=key)
        if self.row_count:
            self.move_cursor(row=min(max(cursor_row, 0), self.row_count - 1))


def _width(cell: Cell) -> int:
    return cell_len(cell.plain if isinstance(cell, Text) else cell)


def _cut(cell: Cell, limit: int | None) -> Cell:
    if limit is None or _width(cell) <= limit:
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text(cell)
    text.truncate(limit, overflow="ellipsis")
    return text
