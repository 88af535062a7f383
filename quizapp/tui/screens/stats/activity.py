"""The activity tab: reviews per day and a calendar of the days studied."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive

from quizapp.core.stats import PLOT_DAYS, StatsReport, plural
from quizapp.tui.screens.stats.report_view import ReportView, StatsPage
from quizapp.tui.widgets.heatmap import CalendarHeatmap


class ActivitySummary(ReportView):
    """Days active, the streaks, and the reviews on a study day."""

    def content_for(self, report: StatsReport) -> RenderableType:
        act = report.activity
        text = Text.assemble(
            ("Reviews per day", "bold"),
            (f", last {PLOT_DAYS} days", "bold"),
            "\n",
            f"{act.days_active} of {len(act.daily)} days active · streak "
            f"{plural(act.streak, 'day')} (longest {act.longest_streak})",
        )
        if act.average is not None:
            text.append(f" · {act.average:.0f} reviews a study day")
        return text


class CalendarTitle(ReportView):
    def content_for(self, report: StatsReport) -> RenderableType:
        act = report.activity
        return Text.assemble(
            ("Calendar", "bold"),
            (f", {act.first:%b %d %Y} to {act.last:%b %d %Y}", "bold"),
            (" (study days start at 04:00)", "dim"),
        )


class StudyCalendar(CalendarHeatmap):
    """The heatmap of the report's calendar days."""

    report: reactive[StatsReport | None] = reactive(None)

    def watch_report(self, report: StatsReport | None) -> None:
        if report is not None:
            self.show(report.activity.first, report.heat)


class ActivityPage(StatsPage):
    TAB = "activity"
    TITLE = "Activity"

    def compose(self) -> ComposeResult:
        from quizapp.tui.screens.stats.plots import ReviewsPlot  # plotext: see plots.py

        yield ActivitySummary(id="activity-summary").data_bind(ActivityPage.report)
        yield ReviewsPlot(id="reviews-plot").data_bind(ActivityPage.report)
        yield CalendarTitle(id="calendar-title").data_bind(ActivityPage.report)
        yield StudyCalendar(id="calendar").data_bind(ActivityPage.report)
