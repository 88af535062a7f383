"""The drill's status line: cards left by kind, cards done, cram; short words when narrow."""

from __future__ import annotations

from rich.text import Text

from quizapp.core.drill_queue import QueueCounts


def progress_text(counts: QueueCounts, done: int, *, cram: bool, narrow: bool) -> Text:
    """A narrow terminal gets short words, so the counts stay whole beside the clock."""
    comma, dot = (" ", " · ") if narrow else (", ", "   ·   ")
    text = Text()
    text.append(f"{counts.total} left: ", style="bold")
    text.append(f"{counts.new} new", style="bold blue")
    text.append(comma)
    text.append(f"{counts.learning} {'lrn' if narrow else 'learning'}", style="bold red")
    text.append(comma)
    text.append(f"{counts.review} {'rev' if narrow else 'review'}", style="bold green")
    if counts.later:
        text.append(
            f" (+{counts.later} today)" if narrow else f" ({counts.later} later today)",
            style="dim",
        )
    text.append(f"{dot}{done} done", style="dim")
    if cram:
        text.append(
            f"{dot}cram" if narrow else f"{dot}cram: schedule unchanged", style="italic yellow"
        )
    return text
