"""The figures in words: percentages, plurals, a best figure (shared by the CLI and the TUI)."""

from __future__ import annotations

from quizapp.core.stats.practice import BestFigure


def format_percent(rate: float | None, digits: int = 1) -> str:
    """0.912 -> '91.2%'; None (nothing to measure) -> '–'."""
    return "–" if rate is None else f"{100 * rate:.{digits}f}%"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def describe_figure(figure: BestFigure) -> str:
    """'size <= 0.30 of FP32: 0.2602' (the check's name says what the figure is)."""
    return f"{figure.check}: {figure.measured:g}"
