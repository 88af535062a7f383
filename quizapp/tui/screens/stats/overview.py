"""The overview tab: readiness for the interview, today, true retention, the due forecast."""

from __future__ import annotations

from datetime import timedelta

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from quizapp.core.stats import TARGET_RETENTION, StatsReport, format_percent, plural
from quizapp.tui.screens.stats.parts import (
    PROGRESS_STYLES,
    bar,
    figures_table,
    progress_bar,
    rate_style,
    section,
)
from quizapp.tui.screens.stats.report_view import ReportView, StatsPage


class Readiness(ReportView):
    """How ready the learner will be on the interview day, or how to set that day."""

    def content_for(self, report: StatsReport) -> RenderableType:
        ready = report.interview
        if ready is None:
            return Text(
                "No interview date set: press i to set one and see how ready you are.",
                style="dim",
            )
        if ready.days_left < 0:
            return Text(f"The interview date {ready.date.isoformat()} has passed.", style="dim")
        days = "today" if ready.days_left == 0 else f"in {plural(ready.days_left, 'day')}"
        table = figures_table()
        table.add_row(
            "Seen",
            f"{format_percent(ready.seen_share, 0)} of the cards ({ready.seen} of {ready.cards})",
        )
        if ready.unseen and ready.days_left > 0:
            table.add_row(
                "Pace",
                f"{plural(ready.new_per_day, 'new card')} a day to see the other {ready.unseen}",
            )
        table.add_row(
            "Recall on the day",
            Text.assemble(
                (format_percent(ready.predicted_recall, 0), rate_style(ready.predicted_recall)),
                " of the cards seen, ",
                (format_percent(ready.predicted_recall_all, 0), "bold"),
                " of all, with no more reviews",
            ),
        )
        table.add_row("Due before it", plural(ready.due_before, "card"))
        return section(f"Interview {days} ({ready.date.isoformat()})", table)


class Today(ReportView):
    """Reviews done and due today, the streak, and the cards by how well they are known."""

    def content_for(self, report: StatsReport) -> RenderableType:
        totals = report.totals
        table = figures_table()
        table.add_row("Reviews today", str(report.reviews_today))
        table.add_row("Due now", str(totals.due))
        outlook = report.outlook
        if outlook is not None and (outlook.soon or outlook.later_today):
            later = len(outlook.soon) + len(outlook.later_today)
            when = f"in {outlook.soon[0]} min" if outlook.soon else "later today"
            table.add_row("Later today", f"{later} (the next {when})")
        table.add_row("Due tomorrow", str(report.due_tomorrow))
        table.add_row("Streak", plural(report.activity.streak, "day"))
        cards = Text()
        for count, kind in (
            (totals.mastered, "mastered"),
            (totals.review - totals.mastered, "young"),
            (totals.learning, "learning"),
            (totals.new, "new"),
        ):
            if cards:
                cards.append(" · ", style="dim")
            cards.append(f"{count} {kind}", style=PROGRESS_STYLES[kind])
        table.add_row("Cards", cards)
        table.add_row("", progress_bar(totals, 30))
        return section("Today", table)


class Retention(ReportView):
    """True retention over the last windows of days, against the target."""

    def content_for(self, report: StatsReport) -> RenderableType:
        table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim")
        table.add_column("last", no_wrap=True)
        table.add_column("retention", justify="right")
        table.add_column("reviews", justify="right")
        table.add_column("vs target", no_wrap=True)
        for window in report.retention:
            rate = window.rate
            gap = "" if rate is None else f"{100 * (rate - TARGET_RETENTION):+.1f} pts"
            table.add_row(
                f"{window.days} days",
                Text(format_percent(rate), style=rate_style(rate)),
                str(window.reviews),
                Text(gap, style=rate_style(rate)),
            )
        return section(
            f"True retention (target {format_percent(TARGET_RETENTION, 0)})",
            table,
            "First drill answer of the day to a review card; Again is a miss.",
        )


class Forecast(ReportView):
    """Cards coming due on each of the next 14 days, as bars."""

    def content_for(self, report: StatsReport) -> RenderableType:
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1, 0, 0))
        table.add_column(no_wrap=True, style="dim")
        table.add_column(justify="right")
        table.add_column(no_wrap=True)
        top = max(report.forecast, default=0)
        for i, count in enumerate(report.forecast):
            day = report.today + timedelta(days=i)
            label = "today" if i == 0 else day.strftime("%a %d")
            table.add_row(label, str(count), bar(count, top, 24, "green" if i else "bold green"))
        return section("Due in the next 14 days", table, "Today includes overdue cards.")


class OverviewPage(StatsPage):
    TAB = "overview"
    TITLE = "Overview"

    def compose(self) -> ComposeResult:
        yield Readiness(id="readiness").data_bind(OverviewPage.report)
        with Horizontal(id="overview-columns"):
            with Vertical(id="overview-left"):
                yield Today(id="today").data_bind(OverviewPage.report)
                yield Retention(id="retention").data_bind(OverviewPage.report)
            yield Forecast(id="forecast").data_bind(OverviewPage.report)
