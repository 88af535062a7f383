"""What a new learner sees instead of the tabs: what the screen will show, and how to start."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive

from quizapp.core.stats import TARGET_RETENTION, StatsReport, format_percent, plural
from quizapp.tui.screens.stats.report_view import ReportView


class EmptyMessage(ReportView):
    def content_for(self, report: StatsReport) -> RenderableType:
        totals = report.totals
        lines: list[RenderableType] = [
            Text("No reviews yet: press d to drill.", style="bold"),
            Text(""),
            Text(
                "Once you have answered a few cards, this screen shows what you have mastered "
                "in each deck, what comes due over the next two weeks, your true retention "
                f"against the {format_percent(TARGET_RETENTION, 0)} target, your weakest decks "
                "and tags, and a calendar of the days you studied. Mock interviews and graded "
                "exercises show up here too."
            ),
            Text(""),
            Text(
                f"{plural(totals.cards, 'card')} in {plural(len(report.decks), 'deck')} "
                "are waiting for you.",
                style="dim",
            ),
        ]
        ready = report.interview
        if ready is not None and ready.days_left > 0:
            lines.append(
                Text(
                    f"Interview on {ready.date.isoformat()}: {plural(ready.days_left, 'day')} "
                    f"left; {ready.new_per_day} new cards a day sees every card in time.",
                    style="dim",
                )
            )
        elif ready is None:
            lines.append(
                Text("Press i to set your interview date and pace the drills.", style="dim")
            )
        return Group(*lines)


class EmptyState(VerticalScroll):
    report: reactive[StatsReport | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield EmptyMessage(id="empty-message").data_bind(EmptyState.report)
