"""The mock against the clock: one question at a time, the countdown always in sight.

The clock lives in `core.mock.run.MockRun`; this screen ticks it about four times a second and
renders what it says (remaining time comes from the run and a monotonic clock, so ticking late
never drifts). Every answer and every move is saved when it happens, and the time spent is
saved every second, so a crash loses at most a second of clock.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    ContentSwitcher,
    Header,
    Input,
    Label,
    ListItem,
    ListView,
    Static,
    TextArea,
)

from quizapp.core.mock.draw import MockSetup
from quizapp.core.mock.run import Clock, MockRun
from quizapp.core.mock.scoring import MockStateError
from quizapp.core.questions import Question, field_problem
from quizapp.core.time_format import format_countdown, format_duration_seconds
from quizapp.storage.db import utc_now
from quizapp.storage.mocks import finish_mock, save_run
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.screens.confirm import Choice, ConfirmDialog
from quizapp.tui.widgets.cards import ChoiceList, MarkdownText, NumberFields, shown_prompt
from quizapp.tui.widgets.footer import QuickFooter

TICK_S = 0.25
SAVE_EVERY_S = 1.0
LOW_TIME_S = 60.0

KIND_LABELS = {
    "flashcard": "flashcard: type what you would say",
    "free": "free answer: explain it as you would to the interviewer",
    "numeric": "a number",
    "generated": "a calculation",
}


def kind_label(question: Question) -> str:
    if question.kind == "choice":
        return "select all that apply" if question.multiple else "choose one"
    return KIND_LABELS.get(question.kind, question.kind)


class MockRunScreen(QuizScreen[None]):
    CSS_PATH = "run.tcss"
    BINDINGS = [
        Binding("pagedown,ctrl+n", "next", "Next", priority=True, id="mock-next"),
        Binding("pageup,ctrl+b", "previous", "Previous", priority=True, id="mock-previous"),
        Binding("ctrl+s", "submit", "Submit", priority=True, id="mock-submit"),
        Binding("escape", "leave", "Leave", priority=True, id="mock-leave"),
        *(
            Binding(str(n), f"pick({n - 1})", "Choose", show=n == 1, key_display="1-9")
            for n in range(1, 10)
        ),
    ]

    SUBMIT_TITLE = "Submit the mock?"
    LEAVE_TITLE = "Leave the mock?"
    LEAVE_TEXT = (
        "A real interview doesn't pause. If you leave, this mock is saved and its clock stops "
        "until you resume it from the mock set-up (or `quizapp mock --resume`); the report will "
        "say it was interrupted."
    )

    def __init__(
        self,
        mock_id: str,
        setup: MockSetup,
        run: MockRun,
        clock: Clock | None = None,
        now: Callable[[], datetime] | None = None,
        deck_titles: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.mock_id = mock_id
        self.setup = setup
        self.run = run
        self.clock: Clock = clock or time.monotonic
        self.now = now or utc_now
        self.deck_titles = deck_titles or {}
        self._last_save = self.clock()
        self._shown = -1
        self._ending = False
        self.sub_title = f"Mock interview {mock_id}"

    # layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="run-top"):
            yield Static(id="run-position")
            yield Static(id="question-clock")
            yield Static(id="total-clock")
        with Horizontal(id="run-body"):
            yield ListView(
                *(
                    ListItem(Label(self._list_label(i), id=f"list-label-{i}"), id=f"list-{i}")
                    for i in range(len(self.run.questions))
                ),
                id="question-list",
            )
            with ContentSwitcher(id="question-panels", initial=f"q-{self.run.current}"):
                for i, question in enumerate(self.run.questions):
                    yield from self._panel(i, question)
        yield QuickFooter()

    def _panel(self, i: int, question: Question) -> ComposeResult:
        response = self.run.responses[i] or {}
        with VerticalScroll(id=f"q-{i}", classes="question"):
            title = self.deck_titles.get(question.deck, question.deck)
            yield Static(
                f"Question {i + 1} of {len(self.run.questions)} · {title} · {kind_label(question)}",
                classes="question-meta",
            )
            yield MarkdownText(shown_prompt(question), classes="prompt")
            if question.kind == "choice":
                choices = ChoiceList(question.options, question.multiple, id=f"answer-{i}")
                choices.set_reactive(
                    ChoiceList.selected, frozenset(int(c) for c in response.get("choices", ()))
                )
                yield choices
            elif question.fields:
                yield NumberFields(
                    question.fields,
                    id=f"answer-{i}",
                    empty_note="type a number, or ctrl+n to leave it blank",
                )
            else:
                yield Label("Your answer (as you would say it in the interview):")
                yield TextArea(
                    str(response.get("text", "")), id=f"answer-{i}", classes="text-answer"
                )

    def _list_label(self, i: int) -> str:
        here = "▸" if i == self.run.current else " "
        mark = "●" if self.run.answered(i) else "○"
        return f"{here}{i + 1:>2} {mark} {self.run.questions[i].kind}"

    def on_mount(self) -> None:
        self.query_one("#question-clock").display = self.run.per_question_s is not None
        for i, question in enumerate(self.run.questions):  # a resumed mock's typed numbers
            given = (self.run.responses[i] or {}).get("fields") or {}
            if question.fields and given:
                fields = self.query_one(f"#answer-{i}", NumberFields)
                for name, value in given.items():
                    fields.input(name).value = str(value)
        self._show(self.run.current)
        self.run.start_clock()  # the countdown starts when the first question is on screen
        self.refresh_clock()
        self.ticker = self.set_interval(TICK_S, self.refresh_clock)

    # the clock --------------------------------------------------------------------------------

    def refresh_clock(self) -> None:
        """Tick the run and render its clocks; follow it where a limit ran out."""
        if self._ending:
            return
        shown = self._shown
        self.run.tick()
        if not self._follow():
            return
        if self._shown == shown and self.clock() - self._last_save >= SAVE_EVERY_S:
            self._save([self.run.current])
        self._render_clocks()

    def _follow(self) -> bool:
        """Show what the run says after any change: its end, or the question a per-question
        limit moved it to (answering ticks the clock too, so a limit can run out there)."""
        if self.run.status != "running":
            self._end()
            return False
        if self.run.current != self._shown:
            expired = self._shown
            self._save(sorted({expired, self.run.current}))
            self._show(self.run.current)
            self.notify(
                f"Time is up for question {expired + 1}: on to question {self.run.current + 1}. "
                "You can still go back to it.",
                title="Per-question limit",
                timeout=4,
            )
        return True

    def _render_clocks(self) -> None:
        remaining = self.run.remaining
        total = self.query_one("#total-clock", Static)
        total.update(f"{format_countdown(remaining)} left")
        total.set_class(remaining <= min(LOW_TIME_S, 0.2 * self.run.time_limit_s), "-low")
        question_left = self.run.question_remaining
        if question_left is not None:
            clock = self.query_one("#question-clock", Static)
            if question_left > 0:
                clock.update(f"this question {format_countdown(question_left)}")
            else:
                clock.update(f"this question: over by {format_duration_seconds(-question_left)}")
            clock.set_class(question_left <= 0, "-over")

    def _save(self, positions: list[int] | None = None) -> None:
        save_run(self.app.db, self.mock_id, self.setup, self.run, positions)
        self._last_save = self.clock()

    # moving -----------------------------------------------------------------------------------

    def _show(self, position: int) -> None:
        self._shown = position
        self.query_one("#question-panels", ContentSwitcher).current = f"q-{position}"
        self.query_one("#question-list", ListView).index = position
        self._show_progress()
        panel = self.query_one(f"#q-{position}", VerticalScroll)
        panel.scroll_home(animate=False)
        focusable = [w for w in panel.query("Input, TextArea") if w.focusable]
        if focusable:
            focusable[0].focus()
        else:  # a choice question: number keys pick, nothing needs focus
            self.set_focus(None)
        self.refresh_bindings()

    def _show_progress(self) -> None:
        """The question list (current, answered or blank) and the count above it."""
        for i in range(len(self.run.questions)):
            self.query_one(f"#list-label-{i}", Label).update(self._list_label(i))
        answered = len(self.run.questions) - self.run.blank_count
        self.query_one("#run-position", Static).update(
            f"Question {self.run.current + 1} of {len(self.run.questions)} · {answered} answered"
        )

    def _go(self, move: Callable[[], None]) -> None:
        before = self.run.current
        with contextlib.suppress(MockStateError):  # the time ran out: handled just below
            move()
        if self.run.status != "running":
            self._end()
            return
        self._save([before, self.run.current])
        self._show(self.run.current)
        self._render_clocks()

    def action_next(self) -> None:
        self._go(self.run.next)

    def action_previous(self) -> None:
        self._go(self.run.previous)

    @on(ListView.Selected, "#question-list")
    def _jump(self, event: ListView.Selected) -> None:
        assert event.item.id is not None
        position = int(event.item.id.removeprefix("list-"))
        if position != self.run.current:
            self._go(lambda: self.run.go(position))

    # answering --------------------------------------------------------------------------------

    def _record(self, position: int, response: dict[str, Any] | None) -> None:
        if self._ending:
            return
        with contextlib.suppress(MockStateError):  # the time ran out: _follow ends the mock
            self.run.answer(response, position)
        self._save(sorted({position, self.run.current}))
        if self._follow():
            self._show_progress()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pick":
            # Digits typed into a number field are the answer, not a pick.
            return self.run.questions[self.run.current].kind == "choice" and not isinstance(
                self.focused, Input | TextArea
            )
        return True

    def action_pick(self, index: int) -> None:
        position = self.run.current
        question = self.run.questions[position]
        if question.kind != "choice" or index >= len(question.options):
            return
        choices = self.query_one(f"#answer-{position}", ChoiceList)
        if not question.multiple and choices.selected == {index}:
            choices.selected = frozenset()  # pressing the picked option again clears it
        else:
            choices.toggle(index)
        self._record(position, {"choices": sorted(choices.selected)})

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        fields = next((a for a in event.input.ancestors if isinstance(a, NumberFields)), None)
        if fields is None or fields.id is None or event.input.id is None:
            return
        position = int(fields.id.removeprefix("answer-"))
        name = event.input.id.removeprefix("field-")
        given = dict((self.run.responses[position] or {}).get("fields") or {})
        if given.get(name, "") == event.value:
            return
        given[name] = event.value
        answer_field = next(f for f in self.run.questions[position].fields if f.name == name)
        # The check the report will make: how to type the number and its unit, never whether
        # the number is right.
        problem = field_problem(answer_field, event.value) if event.value.strip() else None
        # Set or cleared on every change: changes typed quickly arrive here after the field
        # has handled them, so the note must follow the last text checked.
        if problem is not None:
            fields.show_problem(name, problem, focus=False)
        else:
            fields.clear_problem(name)
        self._record(position, {"fields": given})

    @on(NumberFields.Submitted)
    def _fields_submitted(self, event: NumberFields.Submitted) -> None:
        # Enter with every field filled: on to the next question (NumberFields moves between
        # its fields itself).
        self.action_next()

    @on(TextArea.Changed, ".text-answer")
    def _text_changed(self, event: TextArea.Changed) -> None:
        assert event.text_area.id is not None
        position = int(event.text_area.id.removeprefix("answer-"))
        text = event.text_area.text
        if (self.run.responses[position] or {}).get("text", "") == text:
            return
        self._record(position, {"text": text})

    # submitting, leaving, ending --------------------------------------------------------------

    def _time_left(self) -> str:
        """The dialogs' clock line: the run keeps ticking behind them, so this is redrawn."""
        return f"{format_countdown(self.run.remaining)} left on the clock (it keeps running)."

    def action_submit(self) -> None:
        blanks = self.run.blank_count
        blank_note = (
            f"{blanks} question{'s are' if blanks != 1 else ' is'} still blank and will count "
            "as missed. "
            if blanks
            else "Every question has an answer. "
        )
        self.app.push_screen(
            ConfirmDialog(
                self.SUBMIT_TITLE,
                f"{blank_note}Answers can't be changed after this.",
                [
                    Choice("keep", "Keep going", "default"),
                    Choice("submit", "Submit", "primary"),
                ],
                live=self._time_left,
            ),
            self._after_confirm,
        )

    def action_leave(self) -> None:
        self.app.push_screen(
            ConfirmDialog(
                self.LEAVE_TITLE,
                self.LEAVE_TEXT,
                [
                    Choice("keep", "Keep going", "default"),
                    Choice("leave", "Leave", "warning"),
                    Choice("submit", "Submit now", "primary"),
                ],
                live=self._time_left,
            ),
            self._after_confirm,
        )

    def _after_confirm(self, choice: str | None) -> None:
        if self._ending or self.run.status != "running":
            return
        if choice == "submit":
            self.run.submit()
            self._end()
        elif choice == "leave":
            self.run.suspend()
            if self.run.status != "running":
                self._end()
                return
            self._save()
            self.dismiss()

    def _end(self) -> None:
        """The clock has stopped (time out or submit): grade, then the report."""
        if self._ending:
            return
        self._ending = True
        self._save()
        # A dialog left open when the time ran out is no longer a question.
        while self.app.screen is not self and isinstance(self.app.screen, ModalScreen):
            self.app.pop_screen()
        if self.run.ended_by == "time":
            self.notify("Time is up. Your answers are in.", title="Mock over", timeout=6)
        self._after_end()

    def _after_end(self) -> None:
        """Where the learner goes once the clock has stopped and the answers are saved."""
        if self.run.status == "grading":
            from quizapp.tui.screens.mock.grade import MockGradeScreen

            self.app.switch_screen(
                MockGradeScreen(self.mock_id, self.setup, self.run, self.now, self.deck_titles)
            )
        else:
            from quizapp.tui.screens.mock.report import MockReportScreen

            finish_mock(self.app.db, self.mock_id, self.setup, self.run, self.now())
            self.app.switch_screen(MockReportScreen(self.mock_id, self.deck_titles))

    def on_unmount(self) -> None:
        # Quitting the app mid-mock (ctrl+q) is leaving it: keep the time spent so far.
        if self._ending or self.run.status != "running":
            return
        self.run.suspend()
        with contextlib.suppress(sqlite3.ProgrammingError):  # the database already closed
            self._save()
