"""Mock interview set-up: time, questions, decks, tags; past mocks with their trend; resume.

The entry point of the mock screens (MAIN_SCREENS["mock"]). Options (from `quizapp mock` or
tests): `setup` prefills the form and, with `autostart`, starts at once; `clock` (monotonic
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
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    SelectionList,
    Sparkline,
    Static,
)

from quizapp.core.mock import (
    DEFAULT_MINUTES,
    DEFAULT_QUESTIONS,
    Clock,
    MockRun,
    MockSetup,
    MockSetupError,
    draw_questions,
    format_countdown,
    format_duration,
    format_points,
)
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

LAST_SETUP_KEY = "mock-last-setup"


class MockSetupScreen(Screen[None]):
    CSS_PATH = "mock.tcss"
    BINDINGS = [
        Binding("ctrl+s", "start", "Start mock", priority=True, id="mock-start"),
        Binding("ctrl+r", "resume", "Resume", priority=True, id="mock-resume"),
        Binding("escape", "back", "Back", id="mock-back"),
    ]

    def __init__(
        self,
        setup: MockSetup | None = None,
        autostart: bool = False,
        clock: Clock | None = None,
        now: Callable[[], datetime] | None = None,
        report: str | None = None,
    ) -> None:
        super().__init__()
        self.initial_setup = setup
        self.autostart = autostart
        self.clock: Clock = clock or time.monotonic
        self.now = now or utc_now
        self.open_report = report
        self.unfinished: StoredMock | None = None
        self.sub_title = "Mock interview"

    @property
    def db(self) -> Database:
        return self.app.db  # type: ignore[attr-defined,no-any-return]

    @property
    def deck_titles(self) -> dict[str, str]:
        return {deck.deck: deck.title for deck in self.app.library.decks}  # type: ignore[attr-defined]

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
                yield Sparkline([], id="trend")
                yield Static(id="trend-caption", classes="dim")
                yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self._fill_form(self.initial_setup or self._last_setup())
        self.refresh_state()
        if self.open_report is not None:
            self._show_report(self.open_report)
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
        library = self.app.library  # type: ignore[attr-defined]
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
            run = self.unfinished.run
            answered = len(run.questions) - run.blank_count
            if run.status == "running":
                text = (
                    f"Mock {self.unfinished.id} was left unfinished with "
                    f"{format_countdown(run.remaining)} on the clock ({answered} of "
                    f"{len(run.questions)} answered). Resume it, or discard it."
                )
            else:
                text = (
                    f"Mock {self.unfinished.id} is over; {len(run.pending_judgments())} of your "
                    "answers are waiting to be judged before the report."
                )
            notice.update(text)
        notice.display = buttons.display = self.unfinished is not None
        self.refresh_bindings()

        history = mock_history(self.db)
        table = self.query_one("#history", DataTable)
        table.clear(columns=True)
        table.add_columns("Mock", "Date", "Score", "%", "Time")
        percents = [
            100.0 * entry["score"] / entry["max_score"] if entry["max_score"] else 0.0
            for entry in history
        ]
        for entry, percent in reversed(list(zip(history, percents, strict=True))):
            table.add_row(
                entry["id"],
                from_db_time(entry["started_at"]).strftime("%Y-%m-%d %H:%M"),
                f"{format_points(entry['score'])} / {format_points(entry['max_score'])}",
                f"{percent:.0f}",
                format_duration(entry["duration_s"] or 0),
                key=entry["id"],
            )
        table.display = bool(history)
        trend = self.query_one("#trend", Sparkline)
        trend.data = percents[-30:] if len(percents) > 1 else []
        trend.display = len(percents) > 1
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
        self.start(setup)

    def _error(self, message: str) -> None:
        self.query_one("#setup-error", Static).update(message)
        self.notify(message, title="Can't start the mock", severity="error")

    def start(self, setup: MockSetup) -> None:
        """Draw the questions, store the mock, and hand over to the run screen."""
        from quizapp.tui.screens.mock_run import MockRunScreen

        if setup.seed is None:
            setup = replace(setup, seed=random.SystemRandom().randrange(2**31))
        try:
            questions = draw_questions(self.app.library.decks, setup, miss_stats(self.db))  # type: ignore[attr-defined]
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
        from quizapp.tui.screens.mock_grade import MockGradeScreen
        from quizapp.tui.screens.mock_run import MockRunScreen

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
        from quizapp.tui.screens.mock_run import MockConfirmScreen

        if self.unfinished is None:
            return
        mock_id = self.unfinished.id

        def discard(choice: str | None) -> None:
            if choice == "discard":
                abandon_mock(self.db, mock_id)
                self.refresh_state()
                self.notify(f"Mock {mock_id} discarded")

        self.app.push_screen(
            MockConfirmScreen(
                f"Discard mock {mock_id}?",
                "It will not appear in your history and its misses will not be reviewed.",
                [("keep", "Keep it", "default"), ("discard", "Discard", "error")],
            ),
            discard,
        )

    # history ----------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#history")
    def _history_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._show_report(str(event.row_key.value))

    def _show_report(self, mock_id: str) -> None:
        from quizapp.tui.screens.mock_report import MockReportScreen

        self.app.push_screen(MockReportScreen(mock_id, self.deck_titles))

    def action_back(self) -> None:
        self.dismiss()
