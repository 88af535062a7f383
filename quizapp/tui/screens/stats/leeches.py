"""The leeches tab: the cards forgotten most often."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult

from quizapp.core.stats import StatsReport
from quizapp.tui.screens.stats.parts import section
from quizapp.tui.screens.stats.report_view import ReportView, StatsPage

LEECHES_SHOWN = 100  # the worst ones; a table of hundreds helps no one


class LeechTable(ReportView):
    def content_for(self, report: StatsReport) -> RenderableType:
        note = (
            "Cards forgotten 8 times or more. Rewrite or split them, or drill them on their "
            "own: more of the same rarely helps."
        )
        if not report.leeches:
            return section(
                "Leeches", Text("None: no card has been forgotten 8 times.", style="dim")
            )
        table = Table(
            box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim", expand=True
        )
        table.add_column("card", no_wrap=True, overflow="ellipsis", max_width=36)
        table.add_column("lapses", justify="right")
        table.add_column("reviews", justify="right")
        table.add_column("prompt", no_wrap=True, overflow="ellipsis", ratio=1)
        for leech in report.leeches[:LEECHES_SHOWN]:
            table.add_row(
                f"{leech.deck}/{leech.card}", str(leech.lapses), str(leech.reps), leech.prompt
            )
        hidden = len(report.leeches) - LEECHES_SHOWN
        if hidden > 0:
            note = f"… and {hidden} more (`quizapp stats --json` lists them all). {note}"
        return section("Leeches", table, note)


class LeechesPage(StatsPage):
    TAB = "leeches"
    TITLE = "Leeches"

    def compose(self) -> ComposeResult:
        yield LeechTable(id="leech-table").data_bind(LeechesPage.report)
