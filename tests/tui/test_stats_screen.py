"""The stats screen: the empty state, the figures of a seeded history, the same numbers as
`quizapp stats --json`, and what it looks like (frozen `now`, UTC days)."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static, TabbedContent
from tui.drill_support import utc_days
from tui.screen_text import screen_lines, shown_footer_keys

from quizapp.cli import main
from quizapp.core.loader import LoadResult, load_decks
from quizapp.core.mock.draw import MockSetup, draw_questions
from quizapp.core.mock.run import MockRun
from quizapp.core.stats import format_percent
from quizapp.storage.db import Database
from quizapp.storage.exercises import record_result
from quizapp.storage.mocks import create_mock, finish_mock
from quizapp.storage.reviews import load_states, record_review, set_interview_date
from quizapp.tui.app import QuizApp
from quizapp.tui.screens.stats.screen import StatsScreen
from quizapp.tui.start import StartStats

__all__ = ["utc_days"]
pytestmark = pytest.mark.usefixtures("utc_days")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "stats"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CATALOGUE = [("ptq-resnet18", "PTQ of a ResNet-18"), ("qat-basics", "QAT basics")]
SIZE = (120, 40)


def fixture_library() -> LoadResult:
    library = load_decks([FIXTURES])
    assert library.ok, library.errors
    return library


class Ticker:
    """A mock's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def seed_history(db: Database, library: LoadResult) -> None:
    """Six weeks of drills (most days at 09:00, every due card, a seeded 1 in 5 forgotten),
    a leech, three mocks, two grading results and an interview date."""
    rng = random.Random(7)
    keys = [f"{d.deck}/{c.id}" for d in library.decks for c in d.cards]
    studied = [k for k in keys if k not in ("alpha/a4", "alpha/a6", "beta/b4", "alpha/a5")]
    moment = datetime(2026, 1, 10, 9, tzinfo=UTC)  # a5 is forgotten eight times: a leech
    record_review(db, "alpha", "a5", 3, mode="drill", now=moment)
    record_review(db, "alpha", "a5", 3, mode="drill", now=moment + timedelta(minutes=10))
    for _ in range(8):
        moment += timedelta(days=3)
        record_review(db, "alpha", "a5", 1, mode="drill", now=moment)
        record_review(db, "alpha", "a5", 3, mode="drill", now=moment + timedelta(minutes=10))
    day = datetime(2026, 1, 28, 9, tzinfo=UTC)
    while day < NOW:
        if day.day % 7 != 3:  # a day off each week
            states = load_states(db)
            for i, key in enumerate(studied):
                when = day + timedelta(minutes=i)
                state = states.get(key)
                if state is not None and state.due >= when + timedelta(hours=19):
                    continue
                deck, card = key.split("/")
                rating = 1 if rng.random() < 0.2 else rng.choice((2, 3, 3, 3, 4))
                record_review(db, deck, card, rating, mode="drill", now=when)
                if rating < 3 or state is None:  # learning steps come back in the session
                    record_review(db, deck, card, 3, mode="drill", now=when + timedelta(minutes=12))
        day += timedelta(days=1)
    for n, marks in enumerate(
        (("wrong", "right", "wrong"), ("right", "right", "wrong"), ("right",) * 3)
    ):
        clock = Ticker()
        setup = MockSetup(questions=3, minutes=5, seed=n)
        run = MockRun(draw_questions(library.decks, setup), setup.time_limit_s, None, clock)
        started = datetime(2026, 2, 8, 20, tzinfo=UTC) + timedelta(days=10 * n)
        mock_id = create_mock(db, setup, run, started_at=started)
        run.start_clock()
        for position in range(3):
            run.go(position)
            clock.seconds += 40
            run.answer({"text": "my answer"})
        run.submit()
        for position, mark in zip(run.pending_judgments(), marks, strict=True):
            run.judge(position, {"mark": mark})
        finish_mock(db, mock_id, setup, run, finished_at=started + timedelta(minutes=3))
    checks = [
        {
            "name": "size <= 0.30 of FP32",
            "status": "pass",
            "message": "",
            "measured": 0.2581,
            "threshold": "<= 0.30",
            "direction": "lower",
        },
        {
            "name": "accuracy drop <= 1 point",
            "status": "pass",
            "message": "",
            "measured": 0.3,
            "threshold": "<= 1 point",
            "direction": "lower",
        },
    ]
    for status, score, when in (("fail", 6, 3), ("pass", 10, 5)):
        record_result(
            db,
            {
                "exercise": "ptq-resnet18",
                "status": status,
                "score": score,
                "max_score": 10,
                "duration_s": 9.0,
                "message": "",
                "checks": checks,
                "env": {},
            },
            finished_at=datetime(2026, 3, when, 18, tzinfo=UTC),
        )
    set_interview_date(db, date(2026, 3, 24))


@pytest.fixture
def seeded(quizapp_home: Path) -> Iterator[Database]:
    with Database() as db:
        seed_history(db, fixture_library())
        yield db


def stats_app(**options: object) -> QuizApp:
    options = {"now": lambda: NOW, "exercises": CATALOGUE, **options}
    return QuizApp(start=StartStats(**options), library=fixture_library())


def shown(widget: Static) -> str:
    console = Console(width=200, file=io.StringIO(), color_system=None)
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined]


async def loaded(pilot: Pilot) -> StatsScreen:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, StatsScreen) and screen.report is not None
    return screen


# --- flows ----------------------------------------------------------------------------------


async def test_a_new_learner_sees_a_friendly_empty_state() -> None:
    app = stats_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        text = shown(screen.query_one("#empty-message", Static))
        assert "No reviews yet: press d to drill." in text
        assert "10 cards in 2 decks are waiting" in text
        assert not screen.query("#stats-tabs")
        assert not screen.query_one("#stats-loading").display
        await pilot.press("d")
        await pilot.pause()
        assert type(app.screen).__name__ == "DrillSetupScreen"


async def test_tabs_show_every_figure(seeded: Database) -> None:
    app = stats_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        report = screen.report
        assert report is not None and not report.is_empty
        tabs = screen.query_one("#stats-tabs", TabbedContent)
        assert tabs.display and tabs.active == "overview"
        assert "Interview in 14 days (2026-03-24)" in shown(screen.query_one("#readiness", Static))
        await pilot.press("2")
        assert tabs.active == "decks"
        decks = shown(screen.query_one("#deck-progress", Static))
        assert "alpha" in decks and "beta" in decks and "total" in decks
        await pilot.press("3")
        assert tabs.active == "activity"
        assert "days active" in shown(screen.query_one("#activity-summary", Static))
        await pilot.press("4")
        assert tabs.active == "practice"
        mocks = shown(screen.query_one("#mock-summary", Static))
        assert "3 mocks · last 100% · best 100%" in mocks
        exercises = shown(screen.query_one("#exercises", Static))
        assert "1 of 2 passed" in exercises and "size <= 0.30 of FP32: 0.2581" in exercises
        await pilot.press("5")
        assert tabs.active == "leeches"
        assert "alpha/a5" in shown(screen.query_one("#leech-table", Static))
        assert str(tabs.get_tab("leeches").label) == "Leeches (1)"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_the_screen_refreshes_after_a_drill(seeded: Database) -> None:
    clock = {"now": NOW}
    app = stats_app(now=lambda: clock["now"])
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        before = screen.report
        assert before is not None
        record_review(app.db, "alpha", "a6", 3, mode="drill", now=NOW)
        await pilot.press("r")
        screen = await loaded(pilot)
        assert screen.report is not None
        assert screen.report.reviews_total == before.reviews_total + 1
        assert screen.report.totals.new == before.totals.new - 1


async def test_a_refresh_reaches_the_tab_on_screen_and_the_others_when_shown(
    seeded: Database,
) -> None:
    app = stats_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        await pilot.press("2")  # the decks page is mounted, then left with the old figures
        await pilot.press("1")
        await pilot.pause()
        before = screen.report
        assert before is not None
        record_review(app.db, "alpha", "a6", 3, mode="drill", now=NOW)
        await pilot.press("r")
        screen = await loaded(pilot)
        after = screen.report
        assert after is not None and after.reviews_today == before.reviews_today + 1
        today = " ".join(shown(screen.query_one("#today", Static)).split())
        assert f"Reviews today {after.reviews_today}" in today
        await pilot.press("2")
        await pilot.pause()
        alpha = next(d for d in after.decks if d.deck == "alpha")
        assert alpha.new == next(d for d in before.decks if d.deck == "alpha").new - 1
        rows = [
            line.split() for line in shown(screen.query_one("#deck-progress", Static)).splitlines()
        ]
        assert next(row for row in rows if row[:1] == ["alpha"])[1:3] == [
            str(alpha.cards),
            str(alpha.new),
        ]


@pytest.mark.parametrize("tab_while_resizing", ["2", "1"])
async def test_the_deck_table_follows_the_terminal_width(
    seeded: Database, tab_while_resizing: str
) -> None:
    """Resized from 120 to 60 columns and back, on the decks tab or away from it, the table is
    the one a terminal of that width gets from the start."""

    async def deck_table(size: tuple[int, int], *resizes: tuple[int, int]) -> str:
        app = stats_app()
        async with app.run_test(size=size) as pilot:
            screen = await loaded(pilot)
            await pilot.press("2", tab_while_resizing)
            for resize in resizes:
                await pilot.resize_terminal(*resize)
                await pilot.pause()
            await pilot.press("2")
            await pilot.pause()
            return shown(screen.query_one("#deck-progress", Static))

    narrow = await deck_table((60, 20))
    wide = await deck_table(SIZE)
    assert narrow != wide
    assert await deck_table(SIZE, (60, 20)) == narrow
    assert await deck_table(SIZE, (60, 20), SIZE) == wide


# --- the same numbers as `quizapp stats --json` -------------------------------------------------


async def test_screen_and_stats_json_show_the_same_numbers(
    quizapp_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Both load the decks the learner has (shipped + QUIZAPP_DECKS) and the shipped exercises;
    # the CLI's clock is frozen at NOW like the screen's.
    monkeypatch.setenv("QUIZAPP_DECKS", str(FIXTURES))
    monkeypatch.setattr("quizapp.storage.stats.utc_now", lambda: NOW)
    with Database() as db:
        seed_history(db, fixture_library())
    assert main(["stats", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)

    app = QuizApp(start=StartStats(now=lambda: NOW))
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        assert screen.report is not None
        assert screen.report.to_json() == document

        for tab in "5432":  # each tab gets its widgets when first shown; back to the overview
            await pilot.press(tab)
            await pilot.pause()
        await pilot.press("1")
        await pilot.pause()

        def text(widget_id: str) -> str:
            return shown(screen.query_one(widget_id, Static))

        forecast = text("#forecast").splitlines()
        for i, count in enumerate(document["forecast"]):
            assert forecast[1 + i].split()[-2 if count else -1] == str(count)
        retention = text("#retention")
        for window in document["retention"]["windows"]:
            rate = format_percent(window["rate"])
            assert f"{window['days']} days" in retention
            row = next(line for line in retention.splitlines() if f"{window['days']} days" in line)
            assert row.split()[2:4] == [rate, str(window["reviews"])]
        today = " ".join(text("#today").split())
        assert f"Reviews today {document['reviews_today']}" in today
        assert f"Due now {document['totals']['due']}" in today
        assert f"Due tomorrow {document['due_tomorrow']}" in today
        interview = document["interview"]
        readiness = text("#readiness")
        assert f"({interview['seen']} of {interview['cards']})" in readiness
        assert format_percent(interview["predicted_recall"], 0) in readiness
        assert f"{interview['due_before']} cards" in readiness
        rows = {
            line.split()[0]: line.split()[1:8]
            for line in text("#deck-progress").splitlines()[2:]
            if line.strip()
        }
        for deck in document["decks"]:
            fields = ("cards", "new", "learning", "review", "mastered", "due", "leeches")
            assert rows[deck["deck"]] == [str(deck[f]) for f in fields]
        weak = text("#weak-decks") + text("#weak-tags")
        for spot in document["weakest"]["decks"] + document["weakest"]["tags"]:
            assert f"{spot['name']}" in weak and format_percent(spot["accuracy"], 0) in weak
        leeches = text("#leech-table")
        for leech in document["leeches"]:
            assert f"{leech['deck']}/{leech['card']}" in leeches
        activity = text("#activity-summary")
        act = document["activity"]
        assert f"{act['days_active']} of 365 days active" in activity
        assert f"streak {act['streak']} day" in activity
        mocks = text("#mock-summary")
        trend = document["mock_trend"]
        assert (
            f"{trend['count']} mocks · last {trend['last']:.0f}% · best {trend['best']:.0f}%"
            in mocks
        )
        exercises = text("#exercises")
        passed = sum(e["passed"] for e in document["exercises"])
        assert f"Exercises: {passed} of {len(document['exercises'])} passed" in exercises


# --- snapshots ------------------------------------------------------------------------------


def show_tab(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return run


def test_snapshot_empty_state(snap_compare) -> None:
    assert snap_compare(stats_app(), terminal_size=SIZE, run_before=show_tab())


def test_snapshot_overview(snap_compare, seeded: Database) -> None:
    assert snap_compare(stats_app(), terminal_size=SIZE, run_before=show_tab())


def test_snapshot_decks(snap_compare, seeded: Database) -> None:
    assert snap_compare(stats_app(), terminal_size=SIZE, run_before=show_tab("2"))


def test_snapshot_activity(snap_compare, seeded: Database) -> None:
    assert snap_compare(stats_app(), terminal_size=SIZE, run_before=show_tab("3"))


def test_snapshot_mocks_and_exercises(snap_compare, seeded: Database) -> None:
    assert snap_compare(stats_app(), terminal_size=SIZE, run_before=show_tab("4"))


def test_snapshot_decks_at_80x24(snap_compare, seeded: Database) -> None:
    assert snap_compare(stats_app(), terminal_size=(80, 24), run_before=show_tab("2"))


@pytest.mark.parametrize("tab", ["1", "3", "4", "5"])
def test_snapshot_tabs_at_80x24(snap_compare, seeded: Database, tab: str) -> None:
    assert snap_compare(stats_app(), terminal_size=(80, 24), run_before=show_tab(tab))


# --- small terminals ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_small_terminals_keep_every_figure_whole(
    seeded: Database, size: tuple[int, int]
) -> None:
    """Every tab's label, every deck's counts (squeezed to '…' at 60 columns) and the
    footer's way back and Quit stay on screen."""
    app = stats_app()
    async with app.run_test(size=size) as pilot:
        screen = await loaded(pilot)
        assert screen.report is not None
        lines = screen_lines(app)
        for label in ("Overview", "Decks", "Activity", "Mocks & exercises", "Leeches (1)"):
            assert label in lines[1], lines[1]
        assert {"esc Back", "^q Quit", "^p palette"} <= set(await shown_footer_keys(pilot, app))
        await pilot.press("2")
        await pilot.pause()
        table = screen.query_one("#deck-progress", Static)
        lines = screen_lines(app)
        region = table.content_region
        shown = [line[region.x : region.right] for line in lines[region.y : region.bottom]]
        header = shown[1].split()
        assert header[1:8] == ["Cards", "New", "Learn", "Review", "Mastered", "Due", "Leech"]
        decks = {line.split()[0]: line.split()[1:8] for line in shown[2:] if line.strip()}
        for deck in (*screen.report.decks, screen.report.totals):
            figures = [deck.cards, deck.new, deck.learning, deck.review, deck.mastered]
            expected = [str(n) for n in (*figures, deck.due, deck.leeches)]
            assert any(row == expected for row in decks.values()), (deck.deck, shown)


# --- the calendar widget ------------------------------------------------------------------------


async def test_calendar_heatmap_draws_weeks_monday_first() -> None:
    from textual.app import App, ComposeResult

    from quizapp.tui.widgets.heatmap import CELL, CalendarHeatmap

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield CalendarHeatmap()

    # 2026-02-25 is a Wednesday; 12 days up to Sunday 03-08, the last one with level 4
    levels = [0, 1, 2, 3, 0, 0, 1, 2, 0, 0, 0, 4]
    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        heatmap = app.query_one(CalendarHeatmap)
        heatmap.show(date(2026, 2, 25), levels)
        await pilot.pause()
        lines = heatmap.render().plain.splitlines()
    # the first week (Mon 02-23 .. Sun 03-01) holds March 1st: it carries March's label
    assert lines[0] == "    Mar"
    rows = [line[4:] for line in lines[1:8]]
    assert [row.count(CELL) for row in rows] == [1, 1, 2, 2, 2, 2, 2]  # Mon..Sun
    assert rows[0].rstrip() == "  " + CELL  # Monday 02-23 comes before the first day
    assert lines[8].strip().startswith("less")
