"""A finished loop's report: the verdict per area, the coding round's result, then the
concept round as a mock's report shows it (topics, slowest, every question)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from quizapp.core.interview_loop import LoopReport
from quizapp.core.mock.report import MockReport, format_points
from quizapp.core.time_format import format_duration_seconds
from quizapp.storage.interview_loops import load_loop_report, write_loop_markdown
from quizapp.tui.screens.mock.report import MockReportScreen


class LoopReportScreen(MockReportScreen):
    # Relative to this file: the mock report's sheet, then this screen's own.
    CSS_PATH = ["../mock/report.tcss", "report.tcss"]

    def __init__(
        self, loop_id: str, exercise_title: str, deck_titles: dict[str, str] | None = None
    ) -> None:
        super().__init__(loop_id, deck_titles)
        self.exercise_title = exercise_title
        self.loop_report: LoopReport | None = None
        self.sub_title = f"Interview loop {loop_id}: report"

    def _load_report(self) -> MockReport:
        self.loop_report = load_loop_report(
            self.app.db,
            self.mock_id,
            self.exercise_title,
            self.deck_titles,
        )
        return self.loop_report.concepts

    def on_mount(self) -> None:
        # Textual runs the mock report's on_mount after this one (handlers run down the MRO):
        # the loop's summary replaces the mock's once that has drawn.
        self.call_after_refresh(self._show_loop_summary)

    def _show_loop_summary(self) -> None:
        assert self.loop_report is not None
        self.query_one("#report-summary", Static).update(summary_text(self.loop_report))

    def action_write(self) -> None:
        assert self.loop_report is not None
        path = write_loop_markdown(self.loop_report)
        self.query_one("#report-written", Static).update(f"Report written to {path}")
        self.notify(str(path), title="Markdown report written")


def summary_text(report: LoopReport) -> Text:
    concepts, coding = report.concepts, report.coding
    failed = [str(c.get("name")) for c in coding.checks if not c.get("passed")]
    checks = Text(f"checks {len(coding.checks) - len(failed)}/{len(coding.checks)}")
    if failed:
        checks.append(f", failed: {', '.join(failed)}", style="red")
    return Text.assemble(
        ("Concepts ", "bold"),
        f"{format_points(concepts.score)} / {format_points(concepts.max_score)} "
        f"({concepts.percent:.0f}%) · ",
        ("Coding ", "bold"),
        (
            "passed" if coding.passed else "not passed",
            "bold green" if coding.passed else "bold red",
        ),
        f" ({coding.grades_run} grade{'s' * (coding.grades_run != 1)}, hints "
        f"{coding.hints_shown} of {coding.hint_count}, "
        f"{format_duration_seconds(coding.time_used_s)} of "
        f"{format_duration_seconds(coding.time_limit_s)}) ",
        checks,
        "\n",
        (report.summary, "italic"),
        "\n",
        concepts.review_note(),
    )
