"""The exercise screen's Python editor: Textual's code editor with two changes.

- Enter keeps the line's indentation, one level more after a line ending in `:` (Textual's
  TextArea starts every new line at column 0).
- Escape is left to the screen (Back, or Cancel while grading). Textual's code editor takes
  escape to move the focus on, which sent the first escape to the checks pane instead of
  back. Shift+tab still leaves the editor (tab indents).
"""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea


class CodeEditor(TextArea):
    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            # Skip TextArea's handler (not the bubbling): the screen's binding gets it.
            event.prevent_default()
            return
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            self._restart_blink()
            start, end = self.selection
            self.replace("\n" + self.indent_for(start), start, end, maintain_selection_offset=False)
            self.scroll_cursor_visible()

    def indent_for(self, location: tuple[int, int]) -> str:
        """The indentation of a line broken at `location`: the current line's (up to the
        cursor), one level deeper after a `:`."""
        row, column = location
        before = self.document.get_line(row)[:column]
        indent = before[: len(before) - len(before.lstrip(" \t"))]
        if before.rstrip().endswith(":"):
            indent += "\t" if self.indent_type == "tabs" else " " * self.indent_width
        return indent
