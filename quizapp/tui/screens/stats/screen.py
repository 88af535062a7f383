"""Progress and stats: am I ready, what is weak, what is due, am I improving.

The figures come from `storage.stats.collect_stats` (the same report `quizapp stats --json`
prints), computed in a thread worker: the screen shows at once and fills in when they are
ready. Five tabs (keys 1-5), each scrolls, so it stays usable on an 80x24 terminal. Each tab
is a page (`StatsPage`) mounted when the tab is first shown; the screen sets the page's
`report` when it is shown, and the page's views render from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from quizapp.core.stats import StatsReport
from quizapp.grading.catalogue import exercise_titles
from quizapp.storage.db import utc_now
from quizapp.storage.stats import collect_stats
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.screens.stats.activity import ActivityPage
from quizapp.tui.screens.stats.decks import NARROW_SCREEN_WIDTH, DecksPage
from quizapp.tui.screens.stats.empty import EmptyState
from quizapp.tui.screens.stats.leeches import LeechesPage
from quizapp.tui.screens.stats.overview import OverviewPage
from quizapp.tui.screens.stats.practice import PracticePage
from quizapp.tui.screens.stats.report_view import StatsPage
from quizapp.tui.start import StartDrill
from quizapp.tui.widgets.footer import QuickFooter

PAGES: dict[str, type[StatsPage]] = {
    page.TAB: page for page in (OverviewPage, DecksPage, ActivityPage, PracticePage, LeechesPage)
}


class Figures(Vertical):
    """The five tabs (mounted once there are figures to show), their pages not yet mounted."""

    def compose(self) -> ComposeResult:
        with TabbedContent(id="stats-tabs"):
            for tab, page in PAGES.items():
                yield TabPane(page.TITLE, id=tab)


class StatsScreen(QuizScreen[None]):
    CSS_PATH = "stats.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="stats-back"),
        *(
            Binding(str(i + 1), f"show_tab('{tab}')", "Tabs", show=i == 0, key_display="1-5")
            for i, tab in enumerate(PAGES)
        ),
        Binding("d", "drill", "Drill", id="stats-drill"),
        Binding("i", "app.set_interview_date", "Interview date", id="stats-interview"),
        Binding("r", "reload", "Refresh", id="stats-reload"),
    ]

    def __init__(
        self,
        now: Callable[[], datetime] | None = None,
        tz: tzinfo | None = None,
        exercises: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        """`now`, `tz` and `exercises` (the catalogue, as (id, title)) are injected by tests."""
        super().__init__()
        self.now = now or utc_now
        self.tz = tz
        self.exercises = exercises
        self.report: StatsReport | None = None

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The figures' widgets are mounted once the figures are ready (see `show_report`):
        # the screen's first paint is only this loading line.
        yield Header()
        yield Static("Counting your reviews…", id="stats-loading", classes="dim")
        yield Vertical(id="stats-body")
        yield QuickFooter()

    def on_mount(self) -> None:
        self.sub_title = "Stats"
        # After the first paint: the worker's Python would otherwise slow that paint down.
        self.call_after_refresh(self.load)

    def on_screen_resume(self) -> None:
        if self.report is not None:  # back from a drill or the interview date: figures moved
            self.load()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW_SCREEN_WIDTH, "-narrow")
        for page in self.query(DecksPage):
            page.screen_width = self.size.width

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        page = await self.show_page(event.pane.id or "overview")
        if page is not None:  # arrows and page keys scroll the tab's page
            self.call_after_refresh(page.focus)

    # --- loading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats")
    def load(self) -> StatsReport:
        app = self.app
        exercises = exercise_titles() if self.exercises is None else self.exercises
        return collect_stats(app.db, app.library, self.now(), self.tz, exercises=exercises)

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "stats":
            return
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, StatsReport):
            await self.show_report(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.query_one("#stats-loading", Static).update(
                Text(f"The stats could not be computed: {event.worker.error}", style="red")
            )

    async def show_report(self, report: StatsReport) -> None:
        """Mount the tabs (or the empty state) if they are not there yet, give the tab on
        screen the report, and hide the loading line. Other tabs get it when shown."""
        self.report = report
        kind, kind_id = (EmptyState, "stats-empty") if report.is_empty else (Figures, "figures")
        body = self.query_one("#stats-body")
        if not body.query_children(f"#{kind_id}"):
            await body.remove_children()
            await body.mount(kind(id=kind_id))
        self.query_one("#stats-loading").display = False
        self.refresh_bindings()
        if report.is_empty:
            self.query_one(EmptyState).report = report
            return
        tabs = self.query_one("#stats-tabs", TabbedContent)
        tabs.get_tab("leeches").label = f"Leeches ({len(report.leeches)})"
        await self.show_page(tabs.active or "overview")

    async def show_page(self, tab: str) -> StatsPage | None:
        """Mount a tab's page the first time it is shown, and give it the current report."""
        report = self.report
        if report is None or report.is_empty:
            return None
        pane = self.query_one("#stats-tabs", TabbedContent).get_pane(tab)
        page = next(iter(pane.query_children(StatsPage)), None)
        mounted = page is not None
        if page is None:
            page = PAGES[tab](id=f"{tab}-page", classes="stats-page")
        if isinstance(page, DecksPage):
            page.screen_width = self.size.width
        page.report = report
        if not mounted:
            await pane.mount(page)
        return page

    # --- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_tab":  # no tabs before the figures, nor in the empty state
            return bool(self.query(Figures))
        return True

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#stats-tabs", TabbedContent).active = tab

    def action_drill(self) -> None:
        self.post_message(StartDrill())

    def action_reload(self) -> None:
        self.load()
