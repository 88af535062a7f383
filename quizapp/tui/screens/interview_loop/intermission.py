"""Between the rounds: what the coding round is, its rules, and the key that starts its clock.

When the exercise grades against a baseline model this machine has not trained yet, the
first grade would spend a minute of the round training it: this screen says so and trains it
first (`t`), with its progress, before any clock runs.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Header, ProgressBar, Static

from quizapp.core.time_format import format_duration_seconds
from quizapp.grading.baselines import TRAIN_SECONDS, baseline_ready, train_command
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.screens.interview_loop.session import RESUME_HINT, LoopSession
from quizapp.tui.widgets.footer import QuickFooter


@dataclass
class TrainingLine(Message):
    """A line of the baseline training's output (None: it ended, with `ok`)."""

    line: str | None
    ok: bool = True


class LoopBreakScreen(QuizScreen[None]):
    CSS_PATH = "intermission.tcss"
    BINDINGS = [
        Binding("enter", "start", "Start the clock", priority=True, id="loop-start"),
        Binding("t", "train", "Train the baseline", id="loop-train"),
        Binding("escape", "leave", "Leave", id="loop-leave"),
    ]

    def __init__(self, session: LoopSession) -> None:
        super().__init__()
        self.session = session
        self.training = False
        self.sub_title = f"Interview loop {session.loop_id}: before the coding round"

    @property
    def baseline(self) -> str | None:
        return self.session.exercise.manifest.baseline

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="break-body"):
            yield Static(self._rules(), id="break-rules")
            yield Static(id="break-status")
            progress = ProgressBar(total=None, show_eta=False, id="break-progress")
            progress.display = False
            yield progress
        yield QuickFooter()

    def _rules(self) -> Text:
        loop, exercise = self.session.loop, self.session.exercise
        concepts = loop.concepts
        answered = len(concepts.questions) - concepts.blank_count
        return Text.assemble(
            ("Concept round over", "bold"),
            f": {answered} of {len(concepts.questions)} answered in "
            f"{format_duration_seconds(concepts.elapsed)} (the report comes after both rounds).\n\n",
            ("Coding round: ", "bold"),
            (exercise.title, "bold cyan"),
            f" ({exercise.id}), {format_duration_seconds(loop.coding.time_limit_s)}.\n\n",
            "- You start from a fresh copy of the starter; your own workspace copy is untouched.\n"
            "- ctrl+r grades your saved code; grading takes clock time, as running code does in "
            "an interview. Every grade is counted in the report.\n"
            f"- ctrl+t shows a hint ({loop.coding.hint_count} tiers); each one is counted.\n"
            "- When the time runs out (or you submit with f9) your last saved code is graded "
            "as the final answer. The reference solution opens after the round.\n\n",
            ("Press enter when you are ready: the clock starts then.", "bold"),
        )

    def on_mount(self) -> None:
        if not baseline_ready(self.baseline):
            seconds = TRAIN_SECONDS.get(self.baseline or "", 60)
            self._status(
                f"This exercise grades against a baseline model this machine has not trained "
                f"yet: the first grade would spend about {seconds} s of your round training it. "
                "Press t to train it now, before the clock starts.",
                "bold yellow",
            )

    def _status(self, text: str, style: str = "") -> None:
        self.query_one("#break-status", Static).update(Text(text, style=style))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "train":
            return not self.training and not baseline_ready(self.baseline)
        if action == "start":
            return not self.training
        return True

    def action_train(self) -> None:
        if self.baseline is None:
            return
        self.training = True
        self.query_one("#break-progress", ProgressBar).display = True
        self._status("Training the baseline model (once; it is cached) …", "bold cyan")
        self.refresh_bindings()
        self._train(train_command(self.baseline))

    @work(thread=True, exclusive=True)
    def _train(self, command: list[str]) -> None:
        try:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        except OSError as exc:
            self.post_message(TrainingLine(f"Could not start the training: {exc}", ok=False))
            self.post_message(TrainingLine(None, ok=False))
            return
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip():
                self.post_message(TrainingLine(line.strip()))
        self.post_message(TrainingLine(None, ok=process.wait() == 0))

    def on_training_line(self, message: TrainingLine) -> None:
        if message.line is not None:
            self._status(message.line, "bold cyan" if message.ok else "bold red")
            return
        self.training = False
        self.query_one("#break-progress", ProgressBar).display = False
        if message.ok:
            self._status("The baseline is ready. Press enter to start the coding round.", "green")
        else:
            self._status(
                "Training failed (the last line above says why); the first grade will try "
                "again, on the round's clock.",
                "bold red",
            )
        self.refresh_bindings()

    def action_start(self) -> None:
        self.session.loop.coding.start()
        self.session.save(self.app.db)
        self.app.switch_screen(self.session.next_screen(self.app.db))

    def action_leave(self) -> None:
        self.notify(f"The loop is saved; {RESUME_HINT}.", title="Interview loop")
        self.dismiss()
