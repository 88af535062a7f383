"""The decks tab: progress per deck, and the weakest decks and tags."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive

from quizapp.core.stats import (
    TARGET_RETENTION,
    WEAK_MIN_REVIEWS,
    WEAK_WINDOW_DAYS,
    StatsReport,
    WeakSpot,
    format_percent,
)
from quizapp.tui.screens.stats.parts import PROGRESS_STYLES, bar, progress_bar, rate_style, section
from quizapp.tui.screens.stats.report_view import ReportView, StatsPage

NARROW_SCREEN_WIDTH = 100  # cells; below it the table tightens (the screen's `-narrow` too)


class DeckTable(ReportView):
    """Each deck's cards by state, due and leeches, with a progress bar, laid out for the
    screen's width."""

    screen_width: reactive[int] = reactive(0)  # cells

    def watch_report(self, report: StatsReport | None) -> None:
        if self.screen_width:  # laid out once the screen has said how wide it is
            super().watch_report(report)

    def watch_screen_width(self) -> None:
        self.watch_report(self.report)

    def content_for(self, report: StatsReport) -> RenderableType:
        narrow = self.screen_width < NARROW_SCREEN_WIDTH
        # Below 100 columns: tighter padding, a shorter bar, so 80 columns hold it all; below
        # that the bar goes and the deck names give way: the counts always stay whole.
        table = Table(
            box=None,
            pad_edge=False,
            padding=(0, 1, 0, 0) if narrow else (0, 1),
            header_style="bold",
        )
        decks = (*report.decks, report.totals)
        names = ("Cards", "New", "Learn", "Review", "Mastered", "Due", "Leech")
        rows = [
            [str(n) for n in (d.cards, d.new, d.learning, d.review, d.mastered, d.due, d.leeches)]
            for d in decks
        ]
        counts_width = sum(
            max(len(name), *(len(row[i]) for row in rows)) + (1 if narrow else 2)
            for i, name in enumerate(names)
        )
        # The page's padding and a scrollbar's width are not the table's.
        room = self.screen_width - 6
        deck_width = min(max(len(d.deck) for d in decks), 18 if narrow else 26)
        bar_width = 12 if narrow else 24
        show_bar = deck_width + counts_width + bar_width + 1 <= room or not narrow
        if not show_bar:
            deck_width = max(min(deck_width, room - counts_width - 1), 5)
        table.add_column("Deck", no_wrap=True, overflow="ellipsis", max_width=deck_width)
        for name in names:
            table.add_column(name, justify="right", no_wrap=True)
        if show_bar:
            table.add_column("Progress", no_wrap=True)
        for deck, counts in zip(decks, rows, strict=True):
            style = "bold" if deck.deck == "total" else ""
            cells: list[RenderableType] = [Text(deck.deck, style=style), *counts[:5]]
            cells.append(Text(counts[5], style="bold green" if deck.due else "dim"))
            cells.append(Text(counts[6], style="bold red" if deck.leeches else "dim"))
            if show_bar:
                cells.append(progress_bar(deck, bar_width))
            table.add_row(*cells, end_section=deck is report.decks[-1])
        parts: list[RenderableType] = [table]
        if show_bar:
            legend = Text()
            for kind, style in reversed(PROGRESS_STYLES.items()):
                legend.append("█ " if kind != "new" else "░ ", style=style)
                legend.append(f"{kind}  ", style="dim")
            parts.append(legend)
        return section(
            "Progress per deck",
            Group(*parts),
            f"Mastered: review cards above {format_percent(TARGET_RETENTION, 0)} predicted "
            "recall now (their interval has not run out).",
        )


class WeakSpots(ReportView):
    """The decks or tags answered worst lately (`spots` picks which from the report)."""

    def __init__(
        self, title: str, spots: Callable[[StatsReport], Sequence[WeakSpot]], *, id: str
    ) -> None:
        super().__init__(id=id)
        self.title = title
        self.spots = spots

    def content_for(self, report: StatsReport) -> RenderableType:
        title = self.title
        spots = self.spots(report)
        note = f"Last {WEAK_WINDOW_DAYS} days, at least {WEAK_MIN_REVIEWS} answers."
        if not spots:
            return section(
                title,
                Text("Not enough answers yet to rank them.", style="dim"),
                note,
            )
        table = Table(box=None, pad_edge=False, padding=(0, 1), header_style="dim")
        table.add_column("", no_wrap=True, overflow="ellipsis", max_width=22)
        table.add_column("correct", justify="right")
        table.add_column("answers", justify="right")
        table.add_column("", no_wrap=True)
        for spot in spots:
            table.add_row(
                spot.name,
                Text(format_percent(spot.accuracy, 0), style=rate_style(spot.accuracy)),
                str(spot.reviews),
                bar(spot.accuracy, 1, 8, "yellow"),
            )
        return section(title, table, note)


class DecksPage(StatsPage):
    TAB = "decks"
    TITLE = "Decks"

    screen_width: reactive[int] = reactive(0)  # cells: the deck table's columns depend on it

    def compose(self) -> ComposeResult:
        yield DeckTable(id="deck-progress").data_bind(DecksPage.screen_width, DecksPage.report)
        with Horizontal(id="weak-columns"):
            yield WeakSpots(
                "Weakest decks", lambda report: report.weak_decks, id="weak-decks"
            ).data_bind(DecksPage.report)
            yield WeakSpots(
                "Weakest tags", lambda report: report.weak_tags, id="weak-tags"
            ).data_bind(DecksPage.report)
