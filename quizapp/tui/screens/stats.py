"""Progress and stats: am I ready, what is weak, what is due, am I improving.

The figures come from `storage.stats.collect_stats` (the same report `quizapp stats --json`
prints), computed in a thread worker: the screen shows at once and fills in when they are
ready. Five tabs (keys 1-5), each scrolls, so it stays usable on an 80x24 terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from quizapp.core.stats import (
    PLOT_DAYS,
    TARGET_RETENTION,
    WEAK_MIN_REVIEWS,
    WEAK_WINDOW_DAYS,
    DeckProgress,
    StatsReport,
    WeakSpot,
    describe_figure,
    format_percent,
    plural,
)
from quizapp.grading.catalogue import exercise_titles
from quizapp.storage.db import from_db_time, utc_now
from quizapp.storage.stats import collect_stats
from quizapp.tui.widgets.footer import QuickFooter
from quizapp.tui.widgets.heatmap import CalendarHeatmap

if TYPE_CHECKING:
    from textual_plotext import PlotextPlot

LEECHES_SHOWN = 100  # the worst ones; a table of hundreds helps no one
PAGES = {
    "overview": "Overview",
    "decks": "Decks",
    "activity": "Activity",
    "practice": "Mocks & exercises",
    "leeches": "Leeches",
}
TABS = tuple(PAGES)
# Card progress colours, from least to most known.
PROGRESS_STYLES = {
    "new": "blue",
    "learning": "yellow",
    "young": "cyan",
    "mastered": "green",
}


def bar(value: float, total: float, width: int, style: str) -> Text:
    """A horizontal bar of `value / total` of `width` cells (eighths for the last cell)."""
    if total <= 0 or value <= 0:
        return Text("")
    eighths = round(8 * width * min(value, total) / total)
    full, rest = divmod(eighths, 8)
    text = "█" * full + (" ▏▎▍▌▋▊▉"[rest] if rest else "")
    return Text(text or "▏", style=style)


def progress_bar(deck: DeckProgress, width: int) -> Text:
    """Mastered, young review, learning and new cards of a deck as one stacked bar."""
    parts = (
        (deck.mastered, "mastered"),
        (deck.review - deck.mastered, "young"),
        (deck.learning, "learning"),
        (deck.new, "new"),
    )
    out = Text()
    used = 0
    for i, (count, kind) in enumerate(parts):
        if i == len(parts) - 1:
            cells = width - used
        else:
            cells = round(width * count / deck.cards) if deck.cards else 0
            cells = min(cells, width - used)
        if count and cells == 0 and used < width:
            cells = 1  # a kind that exists stays visible
        used += cells
        out.append("█" * cells if kind != "new" else "░" * cells, style=PROGRESS_STYLES[kind])
    return out


def rate_style(rate: float | None) -> str:
    if rate is None:
        return "dim"
    if rate >= TARGET_RETENTION:
        return "bold green"
    return "bold yellow" if rate >= TARGET_RETENTION - 0.1 else "bold red"


def section(title: str, body: RenderableType, note: str = "") -> Group:
    parts: list[RenderableType] = [Text(title, style="bold"), body]
    if note:
        parts.append(Text(note, style="dim"))
    return Group(*parts)


def figures_table() -> Table:
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    return table


class EmptyState(VerticalScroll):
    """What a new learner sees instead of the tabs."""

    def compose(self) -> ComposeResult:
        yield Static(id="empty-message")


class Figures(Vertical):
    """The five tabs (mounted once there are figures to show); each tab's page gets its
    widgets when it is first shown (`page_widgets`), so the overview paints first."""

    def compose(self) -> ComposeResult:
        with TabbedContent(id="stats-tabs"):
            for page, title in PAGES.items():
                with TabPane(title, id=page):
                    yield VerticalScroll(id=f"{page}-page", classes="stats-page")


def page_widgets(page: str) -> list[Widget]:
    if page == "overview":
        left = Vertical(Static(id="today"), Static(id="retention"), id="overview-left")
        return [
            Static(id="readiness"),
            Horizontal(left, Static(id="forecast"), id="overview-columns"),
        ]
    if page == "decks":
        weak = Horizontal(Static(id="weak-decks"), Static(id="weak-tags"), id="weak-columns")
        return [Static(id="deck-progress"), weak]
    # plotext takes ~0.1 s to import: not on the way to the screen's first paint
    from textual_plotext import PlotextPlot

    if page == "activity":
        return [
            Static(id="activity-summary"),
            PlotextPlot(id="reviews-plot"),
            Static(id="calendar-title"),
            CalendarHeatmap(id="calendar"),
        ]
    if page == "practice":
        return [
            Static(id="mock-summary"),
            PlotextPlot(id="mock-plot"),
            Static(id="mock-table"),
            Static(id="exercises"),
        ]
    return [Static(id="leech-table")]


class StatsScreen(Screen[None]):
    CSS_PATH = "stats.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="stats-back"),
        *(
            Binding(str(i + 1), f"show_tab('{tab}')", "Tabs", show=i == 0, key_display="1-5")
            for i, tab in enumerate(TABS)
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
        self.filled: set[str] = set()  # pages showing the current report
        self.deck_table_width = 0  # the screen width the deck table was laid out for
        self.mounting: set[str] = set()

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
        self.set_class(self.size.width < 100, "-narrow")
        if self.size.width != self.deck_table_width:
            self.filled.discard("decks")  # the deck table's widths depend on it
            if self.query("#deck-progress"):
                self.call_later(self.show_page, "decks")

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        page = event.pane.id or "overview"
        await self.show_page(page)
        # Arrows and page keys scroll the tab's page.
        self.call_after_refresh(self.query_one(f"#{page}-page").focus)

    # --- loading ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="stats")
    def load(self) -> StatsReport:
        app = self.app
        exercises = exercise_titles() if self.exercises is None else self.exercises
        return collect_stats(app.db, app.library, self.now(), self.tz, exercises=exercises)  # type: ignore[attr-defined]

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "stats":
            return
        if event.state == WorkerState.SUCCESS:
            await self.show_report(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.query_one("#stats-loading", Static).update(
                Text(f"The stats could not be computed: {event.worker.error}", style="red")
            )

    async def show_report(self, report: StatsReport) -> None:
        """Mount the tabs (or the empty state) if they are not there yet, fill the tab on
        screen, and hide the loading line. Other tabs are filled when shown."""
        self.report = report
        self.filled.clear()
        kind, kind_id = (EmptyState, "stats-empty") if report.is_empty else (Figures, "figures")
        body = self.query_one("#stats-body")
        if not body.query_children(f"#{kind_id}"):
            await body.remove_children()
            await body.mount(kind(id=kind_id))
        self.query_one("#stats-loading").display = False
        self.refresh_bindings()
        if report.is_empty:
            self.query_one("#empty-message", Static).update(self.empty_message(report))
            return
        tabs = self.query_one("#stats-tabs", TabbedContent)
        tabs.get_tab("leeches").label = f"Leeches ({len(report.leeches)})"  # type: ignore[assignment]
        await self.show_page(tabs.active or "overview")

    async def show_page(self, page: str) -> None:
        """Give a tab's page its widgets (the first time) and the current figures."""
        report = self.report
        if report is None or report.is_empty or page in self.mounting:
            return
        holder = self.query_one(f"#{page}-page")
        if not holder.children:
            self.mounting.add(page)
            try:
                await holder.mount_all(page_widgets(page))
            finally:
                self.mounting.discard(page)
        if page not in self.filled:
            self.filled.add(page)
            self.fill_page(page, report)

    def fill_page(self, page: str, report: StatsReport) -> None:
        if page == "overview":
            self.query_one("#readiness", Static).update(self.readiness(report))
            self.query_one("#today", Static).update(self.today(report))
            self.query_one("#retention", Static).update(self.retention(report))
            self.query_one("#forecast", Static).update(self.forecast(report))
        elif page == "decks":
            self.query_one("#deck-progress", Static).update(self.deck_progress(report))
            self.query_one("#weak-decks", Static).update(
                self.weak_table("Weakest decks", report.weak_decks, report)
            )
            self.query_one("#weak-tags", Static).update(
                self.weak_table("Weakest tags", report.weak_tags, report)
            )
        elif page == "activity":
            self.show_activity(report)
        elif page == "practice":
            self.show_practice(report)
        else:
            self.query_one("#leech-table", Static).update(self.leech_table(report))

    # --- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_tab":  # no tabs before the figures, nor in the empty state
            return bool(self.query(Figures))
        return True

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#stats-tabs", TabbedContent).active = tab

    def action_drill(self) -> None:
        self.app.open_screen("drill")  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.load()

    # --- the empty state ----------------------------------------------------------------------

    def empty_message(self, report: StatsReport) -> Group:
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

    # --- overview -------------------------------------------------------------------------------

    def readiness(self, report: StatsReport) -> RenderableType:
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

    def today(self, report: StatsReport) -> RenderableType:
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

    def retention(self, report: StatsReport) -> RenderableType:
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

    def forecast(self, report: StatsReport) -> RenderableType:
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

    # --- decks ----------------------------------------------------------------------------------

    def deck_progress(self, report: StatsReport) -> RenderableType:
        self.deck_table_width = self.size.width
        narrow = self.size.width < 100
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
        room = self.size.width - 6
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

    def weak_table(
        self, title: str, spots: Sequence[WeakSpot], report: StatsReport
    ) -> RenderableType:
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

    # --- activity -------------------------------------------------------------------------------

    def show_activity(self, report: StatsReport) -> None:
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
        self.query_one("#activity-summary", Static).update(text)

        recent = act.daily[-PLOT_DAYS:]
        first = act.last - timedelta(days=len(recent) - 1)
        from textual_plotext import PlotextPlot

        plot = self.query_one("#reviews-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        xs = list(range(len(recent)))
        plt.bar(xs, list(recent), color="green", marker="hd", width=1)
        ticks = xs[:: max(1, len(xs) // 6)]
        plt.xticks(ticks, [_short_date(first + timedelta(days=i)) for i in ticks])
        plt.yticks(*_count_ticks(max(recent, default=0)))
        plot.refresh()

        self.query_one("#calendar-title", Static).update(
            Text.assemble(
                ("Calendar", "bold"),
                (f", {act.first:%b %d %Y} to {act.last:%b %d %Y}", "bold"),
                (" (study days start at 04:00)", "dim"),
            )
        )
        self.query_one("#calendar", CalendarHeatmap).show(act.first, report.heat)

    # --- mocks and exercises --------------------------------------------------------------------

    def show_practice(self, report: StatsReport) -> None:
        trend = report.mock_trend
        summary = self.query_one("#mock-summary", Static)
        from textual_plotext import PlotextPlot

        plot = self.query_one("#mock-plot", PlotextPlot)
        if not trend.count:
            summary.update(
                section(
                    "Mock interviews",
                    Text("No finished mock yet: m on the home screen starts one.", style="dim"),
                )
            )
            plot.display = False
            self.query_one("#mock-table", Static).update("")
        else:
            line = Text(
                f"{plural(trend.count, 'mock')} · last {trend.last:.0f}% · best {trend.best:.0f}%"
            )
            if trend.change is not None:
                k = min(3, trend.count // 2)
                line.append(
                    f" · {trend.change:+.0f} points (last {k} vs the {k} before)",
                    style="green" if trend.change >= 0 else "red",
                )
            summary.update(section("Mock interviews", line))
            self.plot_mocks(plot, trend.percents)
            table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="dim")
            for name, justify in (
                ("mock", "left"),
                ("date", "left"),
                ("score", "right"),
                ("%", "right"),
            ):
                table.add_column(name, justify=justify)  # type: ignore[arg-type]
            for mock, percent in list(zip(report.mocks, trend.percents, strict=True))[-5:][::-1]:
                table.add_row(
                    str(mock["id"]),
                    from_db_time(mock["started_at"]).strftime("%Y-%m-%d"),
                    f"{mock['score'] or 0:g} / {mock['max_score'] or 0:g}",
                    f"{percent:.0f}",
                )
            self.query_one("#mock-table", Static).update(table)

        exercises = report.exercises
        widget = self.query_one("#exercises", Static)
        if not exercises:
            widget.update(section("Exercises", Text("No exercises found.", style="dim")))
            return
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
        widget.update(
            section(
                f"Exercises: {passed} of {len(exercises)} passed",
                table,
                "Best figures: the best each check measured over your passing runs.",
            )
        )

    @staticmethod
    def plot_mocks(plot: PlotextPlot, percents: Sequence[float]) -> None:
        shown = list(percents[-30:])
        first = len(percents) - len(shown) + 1
        xs = list(range(first, first + len(shown)))
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.plot(xs, shown, color="cyan", marker="braille")
        plt.scatter(xs, shown, color="cyan", marker="●")
        plt.ylim(0, 100)
        plt.yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        step = max(1, len(xs) // 8)
        plt.xticks(xs[::step], [str(x) for x in xs[::step]])
        plot.display = len(shown) > 1
        plot.refresh()

    # --- leeches --------------------------------------------------------------------------------

    def leech_table(self, report: StatsReport) -> RenderableType:
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


def _short_date(day: date) -> str:
    return day.strftime("%b %d")


def _count_ticks(top: int) -> tuple[list[int], list[str]]:
    """Whole-number ticks for a count axis: 0 and up to four round steps."""
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        step = candidate
        if top / candidate <= 4:
            break
    ticks = list(range(0, max(top, 1) + 1, step))
    return ticks, [str(t) for t in ticks]
