"""Rich building blocks the stats tabs share: bars, titled sections, figure tables, colours."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from quizapp.core.stats import TARGET_RETENTION, DeckProgress

# Card progress colours, from least to most known.
PROGRESS_STYLES = {
    "new": "blue",
    "learning": "yellow",
    "young": "cyan",
    "mastered": "green",
}


def bar(value: float, total: float, width: int, style: str) -> Text:
    """A horizontal bar of `value / total` of `width` cells (eighths for the last cell)."""
    if total <= 0 or value <= 0:
        return Text("")
    eighths = round(8 * width * min(value, total) / total)
    full, rest = divmod(eighths, 8)
    text = "█" * full + (" ▏▎▍▌▋▊▉"[rest] if rest else "")
    return Text(text or "▏", style=style)


def progress_bar(deck: DeckProgress, width: int) -> Text:
    """Mastered, young review, learning and new cards of a deck as one stacked bar."""
    parts = (
        (deck.mastered, "mastered"),
        (deck.review - deck.mastered, "young"),
        (deck.learning, "learning"),
        (deck.new, "new"),
    )
    out = Text()
    used = 0
    for i, (count, kind) in enumerate(parts):
        if i == len(parts) - 1:
            cells = width - used
        else:
            cells = round(width * count / deck.cards) if deck.cards else 0
            cells = min(cells, width - used)
        if count and cells == 0 and used < width:
            cells = 1  # a kind that exists stays visible
        used += cells
        out.append("█" * cells if kind != "new" else "░" * cells, style=PROGRESS_STYLES[kind])
    return out


def rate_style(rate: float | None) -> str:
    """Green at or above the target retention, yellow within 10 points of it, red below."""
    if rate is None:
        return "dim"
    if rate >= TARGET_RETENTION:
        return "bold green"
    return "bold yellow" if rate >= TARGET_RETENTION - 0.1 else "bold red"


def section(title: str, body: RenderableType, note: str = "") -> Group:
    parts: list[RenderableType] = [Text(title, style="bold"), body]
    if note:
        parts.append(Text(note, style="dim"))
    return Group(*parts)


def figures_table() -> Table:
    """Two columns: a bold label and its figure."""
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    return table
