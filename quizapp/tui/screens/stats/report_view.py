"""The two kinds of widget the stats tabs are built from: a page and the views on it.

Attributes go down: the screen sets a page's `report`, and the page's views follow it through
`data_bind`; each view turns the report into what it shows (`content_for`). Nothing here
queries or computes figures: the report is complete when it arrives.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from quizapp.core.stats import StatsReport


class ReportView(Static):
    """A Static that shows one part of the stats report."""

    report: reactive[StatsReport | None] = reactive(None)

    def watch_report(self, report: StatsReport | None) -> None:
        if report is not None:
            self.update(self.content_for(report))

    def content_for(self, report: StatsReport) -> RenderableType:
        raise NotImplementedError


class StatsPage(VerticalScroll):
    """One tab's scrolling page. The screen mounts it when its tab is first shown, so the
    first tab paints without waiting for the others' widgets, and keeps its `report` current
    while it is on screen."""

    TAB: ClassVar[str]  # the tab's id, also the page's: f"{TAB}-page"
    TITLE: ClassVar[str]

    report: reactive[StatsReport | None] = reactive(None)
