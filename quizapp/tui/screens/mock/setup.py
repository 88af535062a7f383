"""Mock interview set-up: time, questions, decks, tags; past mocks with their trend; resume.

The entry point of the mock screens (`StartMock`). Options (from `quizapp mock` or
tests): `setup` prefills the form and, with `autostart`, starts at once; `resume` (a mock id,
from `quizapp mock --resume`) continues an unfinished mock at once; `clock` (monotonic
seconds) and `now` (UTC datetimes) are injected by tests so they never wait; `report` opens a
finished mock's report.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Label,
    SelectionList,
    Static,
)

from quizapp.core.mock.draw import (
    DEFAULT_MINUTES,
    DEFAULT_QUESTIONS,
    MockSetup,
    MockSetupError,
    draw_questions,
)
from quizapp.core.mock.run import Clock, MockRun, unfinished_summary
from quizapp.core.time_format import format_duration_seconds
from quizapp.storage.db import Database, from_db_time, utc_now
from quizapp.storage.mocks import (
    StoredMock,
    abandon_mock,
    create_mock,
    finish_mock,
    miss_stats,
    mock_history,
    unfinished_mocks,
)
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.screens.confirm import Choice, ConfirmDialog
from quizapp.tui.widgets.footer import QuickFooter
from quizapp.tui.widgets.score_trend import ScoreTrend

LAST_SETUP_KEY = "mock-last-setup"
HISTORY_COLUMNS = ("#", "Date", "Score", "Time")


class MockSetupScreen(QuizScreen[None]):
    CSS_PATH = "setup.tcss"
    BINDINGS = [
        Binding("ctrl+s", "start", "Start mock", priority=True, id="mock-start"),
        Binding("ctrl+r", "resume", "Resume", priority=True, id="mock-resume"),
        Binding(
            "f8",
            "full_loop",
            "Full loop",
            tooltip="This mock, then a coding round",
            id="mock-full-loop",
        ),
        Binding("escape", "back", "Back", id="mock-back"),
    ]

    def __init__(
        self,
        setup: MockSetup | None = None,
        autostart: bool = False,
        clock: Clock | None = None,
        now: Callable[[], datetime] | None = None,
        report: str | None = None,
        resume: str | None = None,
    ) -> None:
        super().__init__()
        self.initial_setup = setup
        self.autostart = autostart
        self.clock: Clock = clock or time.monotonic
        self.now = now or utc_now
        self.open_report = report
        self.resume_id = resume
        self.unfinished: StoredMock | None = None
        self.sub_title = "Mock interview"

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def deck_titles(self) -> dict[str, str]:
        return {deck.deck: deck.title for deck in self.app.library.decks}

    # layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="setup-body"):
            with VerticalScroll(id="setup-form"):
                yield Static(id="resume-notice", classes="notice")
                with Horizontal(id="resume-buttons"):
                    yield Button("Resume (ctrl+r)", id="resume", variant="primary")
                    yield Button("Discard", id="discard", variant="error")
                yield Static("New mock interview", classes="section-title")
                with Horizontal(classes="setup-row"):
                    yield Label("Minutes", classes="setup-label")
                    yield Input(id="minutes", type="number", classes="setup-input")
                with Horizontal(classes="setup-row"):
                    yield Label("Questions", classes="setup-label")
                    yield Input(id="questions", type="integer", classes="setup-input")
                with Horizontal(classes="setup-row"):
                    yield Label("Per question (s)", classes="setup-label")
                    yield Input(
                        id="per-question",
                        type="number",
                        placeholder="no limit",
                        classes="setup-input",
                    )
                yield Label("Decks (none ticked: every deck)", classes="setup-list-label")
                yield SelectionList[str](id="decks")
                yield Label("Tags (none ticked: any card)", classes="setup-list-label")
                yield SelectionList[str](id="tags")
                yield Static(id="setup-error")
                yield Button("Start mock (ctrl+s)", id="start", variant="success")
            with Vertical(id="setup-history"):
                yield Static("Your mocks", classes="section-title")
                yield ScoreTrend(id="trend")
                yield Static(id="trend-caption", classes="dim")
                yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield QuickFooter()

    def on_mount(self) -> None:
        self._fill_form(self.initial_setup or self._last_setup())
        self.refresh_state()
        if self.open_report is not None:
            self._show_report(self.open_report)
        elif self.resume_id is not None:
            self.unfinished = next(
                (
                    m
                    for m in unfinished_mocks(self.db, clock=self.clock)
                    if str(m.id) == str(self.resume_id)
                ),
                self.unfinished,
            )
            self.action_resume()
        elif self.autostart and self.initial_setup is not None:
            self.start(self.initial_setup)

    def on_screen_resume(self) -> None:
        self.refresh_state()

    def _last_setup(self) -> MockSetup:
        saved = self.db.get_config(LAST_SETUP_KEY)
        if saved:
            try:
                return replace(MockSetup.from_dict(json.loads(saved)), seed=None)
            except (ValueError, KeyError, TypeError):
                pass
        return MockSetup()

    def _fill_form(self, setup: MockSetup) -> None:
        self.query_one("#minutes", Input).value = f"{setup.minutes:g}"
        self.query_one("#questions", Input).value = str(setup.questions)
        self.query_one("#per-question", Input).value = (
            f"{setup.per_question_s:g}" if setup.per_question_s else ""
        )
        library = self.app.library
        decks = self.query_one("#decks", SelectionList)
        decks.clear_options()
        decks.add_options(
            [
                (f"{deck.title} ({len(deck.cards)})", deck.deck, deck.deck in setup.decks)
                for deck in library.decks
            ]
        )
        counts: dict[str, int] = {}
        for deck in library.decks:
            for card in deck.cards:
                for tag in card.tags:
                    counts[tag] = counts.get(tag, 0) + 1
        tags = self.query_one("#tags", SelectionList)
        tags.clear_options()
        tags.add_options([(f"{t} ({n})", t, t in setup.tags) for t, n in sorted(counts.items())])

    def refresh_state(self) -> None:
        """The unfinished mock (if any) and the history with its trend."""
        unfinished = unfinished_mocks(self.db, clock=self.clock)
        self.unfinished = unfinished[0] if unfinished else None
        notice = self.query_one("#resume-notice", Static)
        buttons = self.query_one("#resume-buttons")
        if self.unfinished is not None:
            text = unfinished_summary(str(self.unfinished.id), self.unfinished.run)
            if self.unfinished.run.status == "running":
                text += " Resume it, or discard it."
            notice.update(text)
        notice.display = buttons.display = self.unfinished is not None
        self.refresh_bindings()

        history = mock_history(self.db)
        percents = [
            100.0 * entry["score"] / entry["max_score"] if entry["max_score"] else 0.0
            for entry in history
        ]
        rows = [
            (
                str(entry["id"]),
                from_db_time(entry["started_at"]).strftime("%Y-%m-%d"),
                f"{percent:.0f}%",
                format_duration_seconds(entry["duration_s"] or 0),
            )
            for entry, percent in zip(history, percents, strict=True)
        ]
        table = self.query_one("#history", DataTable)
        table.clear(columns=True)
        # Widths from the cells themselves: the table's own measuring runs later and can be
        # skipped when the screen refreshes twice at once, leaving columns at their labels'.
        for column, label in enumerate(HISTORY_COLUMNS):
            width = max([len(label)] + [len(row[column]) for row in rows])
            table.add_column(label, width=width)
        for row in reversed(rows):
            table.add_row(*row, key=row[0])
        table.display = bool(history)
        trend = self.query_one("#trend", ScoreTrend)
        trend.show([(str(entry["id"]), p) for entry, p in zip(history, percents, strict=True)])
        trend.display = bool(history)
        caption = self.query_one("#trend-caption", Static)
        if not history:
            caption.update("No finished mocks yet. Your scores and their trend appear here.")
        else:
            caption.update(
                f"{len(history)} mock{'s' * (len(history) != 1)} · last {percents[-1]:.0f}% · "
                f"best {max(percents):.0f}% · enter opens a report"
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":
            return self.unfinished is not None
        return True

    # starting ---------------------------------------------------------------------------------

    def _read_form(self) -> MockSetup:
        def number(widget_id: str, name: str) -> float | None:
            text = self.query_one(f"#{widget_id}", Input).value.strip()
            if not text:
                return None
            try:
                return float(text)
            except ValueError:
                raise MockSetupError(f"{name}: {text!r} is not a number") from None

        minutes = number("minutes", "minutes")
        questions = number("questions", "questions")
        if questions is not None and questions != int(questions):
            raise MockSetupError("questions: must be a whole number")
        return MockSetup(
            minutes=DEFAULT_MINUTES if minutes is None else minutes,
            questions=DEFAULT_QUESTIONS if questions is None else int(questions),
            decks=tuple(self.query_one("#decks", SelectionList).selected),
            tags=tuple(self.query_one("#tags", SelectionList).selected),
            per_question_s=number("per-question", "per-question limit"),
        )

    def action_start(self) -> None:
        try:
            setup = self._read_form()
        except MockSetupError as exc:
            self._error(str(exc))
            return
        if self.unfinished is None:
            self.start(setup)
            return
        waiting = str(self.unfinished.id)

        def chosen(choice: str | None) -> None:
            if choice == "resume":
                self.action_resume()
            elif choice == "new":
                self.start(setup)

        # Starting beside an unfinished mock is allowed, never silent.
        self.app.push_screen(
            ConfirmDialog(
                f"Mock {waiting} is unfinished",
                f"{unfinished_summary(waiting, self.unfinished.run)} Resume it, or start a new "
                f"one anyway (mock {waiting} stays here, to resume or discard later).",
                [
                    Choice("resume", f"Resume mock {waiting}", "primary"),
                    Choice("new", "Start a new one", "default"),
                ],
            ),
            chosen,
        )

    def action_full_loop(self) -> None:
        """The mock as set up here (its length and time) as the concept round of a full
        interview loop, followed by a timed coding round."""
        from quizapp.core.interview_loop import LoopPlan, LoopSetupError
        from quizapp.tui.screens.interview_loop.entry import LoopEntryScreen

        try:
            setup = self._read_form()
            plan = LoopPlan(concepts=setup.questions, concept_minutes=setup.minutes)
        except (MockSetupError, LoopSetupError) as exc:
            self._error(str(exc))
            return
        self.app.push_screen(LoopEntryScreen(plan))

    def _error(self, message: str) -> None:
        self.query_one("#setup-error", Static).update(message)
        self.notify(message, title="Can't start the mock", severity="error")

    def start(self, setup: MockSetup) -> None:
        """Draw the questions, store the mock, and hand over to the run screen."""
        from quizapp.tui.screens.mock.run import MockRunScreen

        if setup.seed is None:
            setup = replace(setup, seed=random.SystemRandom().randrange(2**31))
        try:
            questions = draw_questions(self.app.library.decks, setup, miss_stats(self.db))
        except MockSetupError as exc:
            self._error(str(exc))
            return
        self.query_one("#setup-error", Static).update("")
        self.db.set_config(LAST_SETUP_KEY, json.dumps(replace(setup, seed=None).to_dict()))
        run = MockRun(questions, setup.time_limit_s, setup.per_question_s, self.clock)
        mock_id = create_mock(self.db, setup, run, started_at=self.now())
        self.app.push_screen(
            MockRunScreen(mock_id, setup, run, self.clock, self.now, self.deck_titles)
        )

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    # resuming ---------------------------------------------------------------------------------

    def action_resume(self) -> None:
        if self.unfinished is None:
            return
        from quizapp.tui.screens.mock.grade import MockGradeScreen
        from quizapp.tui.screens.mock.run import MockRunScreen

        stored = self.unfinished
        run = stored.run
        if run.status == "running":
            run.resumed()
        if run.status == "running":
            self.app.push_screen(
                MockRunScreen(stored.id, stored.setup, run, self.clock, self.now, self.deck_titles)
            )
        elif run.status == "grading" and run.pending_judgments():
            self.app.push_screen(
                MockGradeScreen(stored.id, stored.setup, run, self.now, self.deck_titles)
            )
        else:  # over, and nothing (left) to judge: its time ran out, or a crash came late
            finish_mock(self.db, stored.id, stored.setup, run, self.now())
            self._show_report(stored.id)

    @on(Button.Pressed, "#resume")
    def _resume_pressed(self) -> None:
        self.action_resume()

    @on(Button.Pressed, "#discard")
    def _discard_pressed(self) -> None:
        if self.unfinished is None:
            return
        mock_id = self.unfinished.id

        def discard(choice: str | None) -> None:
            if choice == "discard":
                abandon_mock(self.db, mock_id)
                self.refresh_state()
                self.notify(f"Mock {mock_id} discarded")

        self.app.push_screen(
            ConfirmDialog(
                f"Discard mock {mock_id}?",
                "It will not appear in your history and its misses will not be reviewed.",
                [Choice("keep", "Keep it", "default"), Choice("discard", "Discard", "error")],
            ),
            discard,
        )

    # history ----------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#history")
    def _history_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._show_report(str(event.row_key.value))

    def _show_report(self, mock_id: str) -> None:
        from quizapp.tui.screens.mock.report import MockReportScreen

        self.app.push_screen(MockReportScreen(mock_id, self.deck_titles))

    def action_back(self) -> None:
        self.dismiss()
