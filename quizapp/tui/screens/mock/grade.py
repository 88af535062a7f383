"""After the clock stops: the learner judges their flashcard and free answers against the model.

One answered self-graded question at a time: the prompt, what they wrote, the model answer and
(free questions) the key points to tick. Every judgment is saved when made; leaving keeps the
mock waiting for grading, and the mock set-up offers it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from quizapp.core.mock.draw import MockSetup
from quizapp.core.mock.run import MockRun
from quizapp.core.mock.scoring import FLASHCARD_MARKS, describe_response
from quizapp.storage.mocks import finish_mock, save_run
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.cards import KEY_POINT_KEYS, KeyPointList, MarkdownText
from quizapp.tui.widgets.footer import QuickFooter

MARK_KEYS = {"1": "wrong", "2": "partly", "3": "right"}


class MockGradeScreen(QuizScreen[None]):
    CSS_PATH = "grade.tcss"
    BINDINGS = [
        Binding("1", "mark('wrong')", "Wrong", id="grade-wrong"),
        Binding("2", "mark('partly')", "Partly", id="grade-partly"),
        Binding("3", "mark('right')", "Right", id="grade-right"),
        *(
            Binding(key, f"tick({i})", "Tick point", show=i == 0, key_display="a-i")
            for i, key in enumerate(KEY_POINT_KEYS)
        ),
        Binding("enter", "done", "Done", priority=True, id="grade-done"),
        Binding("pageup", "previous", "Previous", id="grade-previous"),
        Binding("pagedown", "next", "Next", id="grade-next"),
        Binding("escape", "leave", "Grade later", id="grade-leave"),
    ]

    def __init__(
        self,
        mock_id: str,
        setup: MockSetup,
        run: MockRun,
        now: Callable[[], datetime],
        deck_titles: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.mock_id = mock_id
        self.setup = setup
        self.run = run
        self.now = now
        self.deck_titles = deck_titles or {}
        self.positions = run.needs_judgment()
        pending = run.pending_judgments()
        self.index = self.positions.index(pending[0]) if pending else 0
        self.sub_title = f"Mock interview {mock_id}: grade your answers"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="grade-top")
        with VerticalScroll(id="grade-body"):
            yield Static(id="grade-meta", classes="question-meta")
            yield MarkdownText("", id="grade-prompt")
            yield Static("Your answer", classes="section-title")
            yield Static(id="grade-given")
            yield Static("Model answer", classes="section-title")
            yield MarkdownText("", id="grade-model")
            yield Static(id="grade-how", classes="section-title")
            yield KeyPointList((), id="grade-points")
        yield QuickFooter()

    def on_mount(self) -> None:
        self._show()

    @property
    def position(self) -> int:
        return self.positions[self.index]

    def _show(self) -> None:
        question = self.run.questions[self.position]
        judgment = self.run.judgments[self.position] or {}
        done = len(self.positions) - len(self.run.pending_judgments())
        self.query_one("#grade-top", Static).update(
            f"The clock has stopped. Judge your answers honestly: {done} of "
            f"{len(self.positions)} judged. Auto-graded questions are scored for you."
        )
        title = self.deck_titles.get(question.deck, question.deck)
        self.query_one("#grade-meta", Static).update(
            f"Question {self.position + 1} · {title} · {question.kind}"
            + (f" · you marked it {judgment['mark']}" if "mark" in judgment else "")
        )
        self._set_markdown("#grade-prompt", question.prompt)
        self.query_one("#grade-given", Static).update(
            describe_response(question, self.run.responses[self.position])
        )
        self._set_markdown("#grade-model", question.answer_text)
        points = self.query_one("#grade-points", KeyPointList)
        how = self.query_one("#grade-how", Static)
        if question.kind == "free":
            points.points = question.key_points
            points.ticked = frozenset(judgment.get("covered", ()))
            points.refresh(layout=True)
            points.display = True
            how.update("Key points your answer covered (a-i tick them; enter when done)")
        else:
            points.display = False
            how.update("How did you do? 1 wrong · 2 partly · 3 right")
        self.set_focus(None)
        self.query_one("#grade-body", VerticalScroll).scroll_home(animate=False)
        self.refresh_bindings()

    def _set_markdown(self, selector: str, source: str) -> None:
        widget = self.query_one(selector, MarkdownText)
        widget.source = source
        widget.refresh(layout=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        kind = self.run.questions[self.position].kind if self.positions else ""
        if action == "mark":
            return kind == "flashcard"
        if action in ("done", "tick"):
            return kind == "free"
        if action == "previous":
            return self.index > 0
        if action == "next":
            return self.index < len(self.positions) - 1
        return True

    def _judge(self, judgment: dict[str, object]) -> None:
        self.run.judge(self.position, judgment)
        self._save_judgment(self.position)
        pending = self.run.pending_judgments()
        if not pending:
            self._finish()
            return
        later = [p for p in pending if p > self.position]
        self.index = self.positions.index(later[0] if later else pending[0])
        self._show()

    def action_mark(self, mark: str) -> None:
        if mark in FLASHCARD_MARKS:
            self._judge({"mark": mark})

    def action_tick(self, index: int) -> None:
        self.query_one("#grade-points", KeyPointList).toggle(index)

    def action_done(self) -> None:
        points = self.query_one("#grade-points", KeyPointList)
        self._judge({"covered": sorted(points.ticked)})

    def action_previous(self) -> None:
        if self.index > 0:
            self.index -= 1
            self._show()

    def action_next(self) -> None:
        if self.index < len(self.positions) - 1:
            self.index += 1
            self._show()

    def action_leave(self) -> None:
        self.notify(
            "Saved. The mock set-up offers this mock for grading when you come back.",
            title="Grading later",
        )
        self.dismiss()

    def _save_judgment(self, position: int) -> None:
        save_run(self.app.db, self.mock_id, self.setup, self.run, [position])

    def _finish(self) -> None:
        from quizapp.tui.screens.mock.report import MockReportScreen

        finish_mock(self.app.db, self.mock_id, self.setup, self.run, self.now())
        self.app.switch_screen(MockReportScreen(self.mock_id, self.deck_titles))
