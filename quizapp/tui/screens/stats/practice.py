"""The mocks & exercises tab: the mock interview scores, the interview loops' two scores and
each exercise's best run."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult

from quizapp.core.stats import StatsReport, describe_figure, plural
from quizapp.storage.db import from_db_time
from quizapp.tui.screens.stats.parts import section
from quizapp.tui.screens.stats.report_view import ReportView, StatsPage

MOCKS_LISTED = 5  # the most recent ones, newest first


class MockSummary(ReportView):
    """How many mocks, the last and best scores, and the trend."""

    def content_for(self, report: StatsReport) -> RenderableType:
        trend = report.mock_trend
        if not trend.count:
            return section(
                "Mock interviews",
                Text("No finished mock yet: m on the home screen starts one.", style="dim"),
            )
        line = Text(
            f"{plural(trend.count, 'mock')} · last {trend.last:.0f}% · best {trend.best:.0f}%"
        )
        if trend.change is not None:
            k = min(3, trend.count // 2)
            line.append(
                f" · {trend.change:+.0f} points (last {k} vs the {k} before)",
                style="green" if trend.change >= 0 else "red",
            )
        return section("Mock interviews", line)


class MockTable(ReportView):
    """The last few mocks with their dates and scores."""

    def content_for(self, report: StatsReport) -> RenderableType:
        if not report.mock_trend.count:
            return ""
        table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim")
        table.add_column("mock", justify="left")
        table.add_column("date", justify="left")
        table.add_column("score", justify="right")
        table.add_column("%", justify="right")
        recent = list(zip(report.mocks, report.mock_trend.percents, strict=True))[-MOCKS_LISTED:]
        for mock, percent in recent[::-1]:
            table.add_row(
                str(mock["id"]),
                from_db_time(mock["started_at"]).strftime("%Y-%m-%d"),
                f"{mock['score'] or 0:g} / {mock['max_score'] or 0:g}",
                f"{percent:.0f}",
            )
        return table


class LoopTable(ReportView):
    """The interview loops: how many, the concept round's scores, the coding round's passes,
    and the last few with their exercise."""

    def content_for(self, report: StatsReport) -> RenderableType:
        trend = report.loop_trend
        if not trend.count:
            return section(
                "Interview loops",
                Text("No finished loop yet: l on the home screen starts one.", style="dim"),
            )
        table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim")
        table.add_column("loop")
        table.add_column("date")
        table.add_column("concepts", justify="right")
        table.add_column("coding", no_wrap=True, overflow="ellipsis", max_width=34)
        rows = list(zip(report.interview_loops, trend.concept_percents, strict=True))
        for loop, percent in rows[-MOCKS_LISTED:][::-1]:
            passed = bool(loop["coding_passed"])
            table.add_row(
                str(loop["id"]),
                from_db_time(loop["started_at"]).strftime("%Y-%m-%d"),
                f"{percent:.0f}%",
                Text.assemble(
                    ("passed" if passed else "not passed", "green" if passed else "red"),
                    f" {loop['exercise']}",
                ),
            )
        return section(
            f"Interview loops: {plural(trend.count, 'loop')} · concepts last "
            f"{trend.last_concepts:.0f}%, best {trend.best_concepts:.0f}% · coding passed "
            f"{trend.passed} of {trend.count}",
            table,
        )


class ExerciseTable(ReportView):
    """Each exercise's status, tries, best score and the best figures its checks measured."""

    def content_for(self, report: StatsReport) -> RenderableType:
        exercises = report.exercises
        if not exercises:
            return section("Exercises", Text("No exercises found.", style="dim"))
        passed = sum(e.passed for e in exercises)
        table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim")
        table.add_column("exercise", no_wrap=True, overflow="ellipsis", max_width=28)
        table.add_column("status", no_wrap=True)
        table.add_column("tries", justify="right")
        table.add_column("best", justify="right", no_wrap=True)
        table.add_column("best figures")
        for e in exercises:
            status_style = {"passed": "bold green", "new": "dim"}.get(e.status, "yellow")
            best = "" if e.best_score is None else f"{e.best_score:g}/{e.max_score:g}"
            table.add_row(
                e.id,
                Text(e.status, style=status_style),
                str(e.attempts),
                best,
                "\n".join(describe_figure(f) for f in e.best),
            )
        return section(
            f"Exercises: {passed} of {len(exercises)} passed",
            table,
            "Best figures: the best each check measured over your passing runs.",
        )


class PracticePage(StatsPage):
    TAB = "practice"
    TITLE = "Mocks & exercises"

    def compose(self) -> ComposeResult:
        from quizapp.tui.screens.stats.plots import MockPlot  # plotext: see plots.py

        yield MockSummary(id="mock-summary").data_bind(PracticePage.report)
        yield MockPlot(id="mock-plot").data_bind(PracticePage.report)
        yield MockTable(id="mock-table").data_bind(PracticePage.report)
        yield LoopTable(id="loop-table").data_bind(PracticePage.report)
        yield ExerciseTable(id="exercises").data_bind(PracticePage.report)
