"""The report of a finished mock: score, topics, every question with its verdict and time."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult, CSSPathType
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Header, Static

from quizapp.core.mock.report import MockReport, format_points, result_markdown
from quizapp.core.time_format import format_duration_seconds
from quizapp.storage.mocks import load_report, write_markdown_report
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.cards import MarkdownText
from quizapp.tui.widgets.fit_table import Column, FitTable
from quizapp.tui.widgets.footer import QuickFooter

VERDICT_STYLES = {"right": "green", "partial": "yellow", "wrong": "red", "blank": "red dim"}


# Topic titles give way (cut with an ellipsis) so that scores and verdicts stay whole at 80x24.
TOPIC_COLUMNS = (Column("Topic", give_way=0), Column("Score"))
RESULT_COLUMNS = (
    Column("#"),
    Column("Topic", give_way=0),
    Column("Type", give_way=1),
    Column("Verdict"),
    Column("Score"),
    Column("Time"),
)


class MockReportScreen(QuizScreen[None]):
    CSS_PATH: ClassVar[CSSPathType] = "report.tcss"  # the loop's report adds its own sheet to it
    BINDINGS = [
        Binding("w", "write", "Write Markdown", id="report-write"),
        Binding("escape", "back", "Back", id="report-back"),
    ]

    def __init__(self, mock_id: str, deck_titles: dict[str, str] | None = None) -> None:
        super().__init__()
        self.mock_id = mock_id
        self.deck_titles = deck_titles or {}
        self.report: MockReport | None = None
        self.sub_title = f"Mock interview {mock_id}: report"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="report-summary")
        with Horizontal(id="report-top"):
            with Vertical(id="report-left"):
                yield Static("By topic", classes="section-title")
                yield FitTable(
                    TOPIC_COLUMNS, id="report-topics", cursor_type="none", zebra_stripes=True
                )
                yield Static("Slowest", classes="section-title")
                yield Static(id="report-slowest")
            with Vertical(id="report-right"):
                yield Static("Questions (enter or arrows for details)", classes="section-title")
                yield FitTable(
                    RESULT_COLUMNS, id="report-results", cursor_type="row", zebra_stripes=True
                )
        with VerticalScroll(id="report-detail"):
            yield MarkdownText("", id="report-detail-text")
        yield Static(id="report-written", classes="dim")
        yield QuickFooter()

    def on_mount(self) -> None:
        report = self.report = self._load_report()
        how = {"time": "ended when the time ran out", "submit": "submitted"}.get(
            report.ended_by or "", ""
        )
        interrupted = ""
        if report.interruptions:
            times = "once" if report.interruptions == 1 else f"{report.interruptions} times"
            interrupted = f" · interrupted {times}"
        started = report.started_at.strftime("%Y-%m-%d %H:%M UTC") if report.started_at else ""
        self.query_one("#report-summary", Static).update(
            Text.assemble(
                (
                    f"{format_points(report.score)} / {format_points(report.max_score)} "
                    f"({report.percent:.0f}%)",
                    "bold",
                ),
                f" · {format_duration_seconds(report.elapsed_s)} of "
                f"{format_duration_seconds(report.time_limit_s)} · {how}{interrupted} · {started}\n",
                report.review_note(),
            )
        )
        self.query_one("#report-topics", FitTable).set_rows(
            [
                (
                    topic.deck,
                    (
                        Text(topic.title),
                        f"{format_points(topic.score)} / {format_points(topic.max_score)} "
                        f"({topic.percent:.0f}%)",
                    ),
                )
                for topic in report.topics
            ]
        )
        self.query_one("#report-slowest", Static).update(
            "\n".join(
                f"Q{r.position} {format_duration_seconds(r.time_s)} {r.question.key}"
                for r in report.slowest
            )
            or "none"
        )
        results = self.query_one("#report-results", FitTable)
        results.set_rows(
            [
                (
                    str(r.position),
                    (
                        str(r.position),
                        Text(self.deck_titles.get(r.question.deck, r.question.deck)),
                        r.question.kind,
                        Text(r.verdict, style=VERDICT_STYLES[r.verdict]),
                        format_points(r.score),
                        format_duration_seconds(r.time_s) + (" !" if r.over_budget else ""),
                    ),
                )
                for r in report.results
            ]
        )
        results.focus()
        self._show_detail(0)

    def _load_report(self) -> MockReport:
        return load_report(self.app.db, self.mock_id, self.deck_titles)

    def _show_detail(self, index: int) -> None:
        assert self.report is not None
        if 0 <= index < len(self.report.results):
            result = self.report.results[index]
            headline = (
                f"**Question {result.position}** · {result.question.key} · **{result.verdict}** "
                f"({format_points(result.score)} / 1) · {format_duration_seconds(result.time_s)}"
                + (" · over the per-question limit" if result.over_budget else "")
            )
            detail = self.query_one("#report-detail-text", MarkdownText)
            detail.source = f"{headline}\n\n{result_markdown(result)}"
            detail.refresh(layout=True)

    @on(DataTable.RowHighlighted, "#report-results")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    @on(DataTable.RowSelected, "#report-results")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self._show_detail(event.cursor_row)
        self.query_one("#report-detail", VerticalScroll).focus()

    def action_write(self) -> None:
        assert self.report is not None
        path = write_markdown_report(self.report)
        self.query_one("#report-written", Static).update(f"Report written to {path}")
        self.notify(str(path), title="Markdown report written")

    def action_back(self) -> None:
        self.dismiss()
