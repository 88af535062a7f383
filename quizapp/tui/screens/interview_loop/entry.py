"""The way into an interview loop: what it is, the defaults, and an unfinished one to resume.

Opened from home (`l`), the palette, the mock set-up's "full loop" or `quizapp interview`
(which passes its plan and starts at once, or names a loop to resume).
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from quizapp.core.interview_loop import LoopPlan, LoopSetupError
from quizapp.core.interview_loop.coding_round import Clock
from quizapp.core.interview_loop.plan import GRADE_SHARE_OF_ROUND
from quizapp.core.mock.draw import MockSetupError
from quizapp.core.time_format import format_countdown
from quizapp.grading.catalogue import Catalogue, load_catalogue
from quizapp.storage.interview_loops import StoredLoop, unfinished_loops
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.screens.interview_loop.session import LoopSession
from quizapp.tui.widgets.footer import QuickFooter


class LoopEntryScreen(QuizScreen[None]):
    CSS_PATH = "entry.tcss"
    BINDINGS = [
        Binding("enter", "start", "Start a loop", priority=True, id="loop-new"),
        Binding("ctrl+r", "resume", "Resume", id="loop-resume"),
        Binding("escape", "back", "Back", id="loop-back"),
    ]

    def __init__(
        self,
        plan: LoopPlan | None = None,
        resume: str | None = None,
        autostart: bool = False,
        catalogue: Catalogue | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock or time.monotonic
        self.plan = plan or LoopPlan()
        self.resume_id = resume
        self.autostart = autostart
        self.catalogue = catalogue or load_catalogue()
        self.unfinished: list[StoredLoop] = []
        self.sub_title = "Interview loop"

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="loop-entry-body"):
            yield Static(id="loop-entry-text")
            yield Static(id="loop-entry-problem")
        yield QuickFooter()

    def on_mount(self) -> None:
        if self.resume_id is not None:
            self._resume(self.resume_id)
            return
        if self.autostart:
            self.action_start()
            return
        self.unfinished = unfinished_loops(self.app.db)
        self.query_one("#loop-entry-text", Static).update(self._explain())
        self.refresh_bindings()

    def _explain(self) -> Text:
        plan = self.plan
        share = int(GRADE_SHARE_OF_ROUND * 100)
        text = Text.assemble(
            ("A full interview loop", "bold"),
            ": a concept round and a coding round, back to back, against the clock, then one "
            "report.\n\n",
            ("1. Concepts: ", "bold"),
            f"{plan.concepts} questions in {plan.concept_minutes:g} minutes, drawn across your "
            "decks (weighted to what you miss). No feedback until the end, as in a mock.\n",
            ("2. Coding: ", "bold"),
            f"{plan.coding_minutes:g} minutes on an exercise you have not passed yet (one whose "
            f"reference grade takes at most {share}% of the round), on a fresh copy of its "
            "starter. Grades and hints are allowed and counted.\n",
            ("3. The report: ", "bold"),
            "scores per deck, the coding result, the slowest questions, a verdict per area; "
            "missed questions go back into your reviews as Again.\n\n",
            "Other lengths: quizapp interview --concepts N --concept-minutes M "
            "--coding ID --coding-minutes C.\n",
        )
        if self.unfinished:
            waiting = self.unfinished[0]
            text.append(
                f"\nLoop {waiting.id} is unfinished ({waiting.status}, "
                f"{format_countdown(waiting.loop.remaining_s)} left on its round's clock): "
                "ctrl+r resumes it.\n",
                style="bold yellow",
            )
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resume":
            return bool(self.unfinished)
        return True

    def _problem(self, message: str) -> None:
        self.query_one("#loop-entry-problem", Static).update(Text(message, style="bold red"))
        self.notify(message, severity="error", timeout=10)

    def action_start(self) -> None:
        db = self.app.db
        try:
            session = LoopSession.start(
                db,
                self.app.library.decks,
                self.catalogue,
                self.plan,
                self.clock,
            )
        except (LoopSetupError, MockSetupError) as exc:
            self._problem(f"Cannot start the loop: {exc}")
            return
        self.app.switch_screen(session.next_screen(db))

    def action_resume(self) -> None:
        if self.unfinished:
            self._resume(self.unfinished[0].id)

    def _resume(self, loop_id: str) -> None:
        db = self.app.db
        session = LoopSession.resume(
            db,
            loop_id,
            self.app.library.decks,
            self.catalogue,
            self.clock,
        )
        self.app.switch_screen(session.next_screen(db))

    def action_back(self) -> None:
        self.dismiss()
