"""What the grade's two children said, as the parent reads it (no torch).

Reader threads feed the children's event pipes (and the learner's output) in; the runner's
loop reads the state under `lock` and is woken by `wakeup`. The parent believes only the
checker, and only a well-formed report: a finished check is accepted if it is one the
checker announced, at its announced place, once, with the points (and direction) the
announcement gave it. The learner's process can only say that it is ready, that it is done
(with its claims), or why it failed; its output is kept bounded and never parsed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from quizapp.grading.children import BoundedOutput
from quizapp.grading.protocol import LineReader, messages
from quizapp.grading.results import DIRECTIONS, CheckResult, Direction, Env


class ChildReports:
    """The state of a grade as the children reported it; every field under `lock`. What the
    UI is told goes to `emit(kind, data)` (see runner.Event), outside the lock."""

    def __init__(
        self, threads: int, torch: str | None, emit: Callable[[str, dict[str, Any]], None]
    ) -> None:
        self.threads, self.emit = threads, emit
        self.lock = threading.Lock()
        self.wakeup = threading.Event()
        self.output = BoundedOutput()
        self.env = Env(torch=torch, threads=threads)
        # the checker's announcement: every check, in order, with its points and direction
        self.check_names: list[str] = []
        self.check_points: list[float] = []
        self.check_directions: list[Direction | None] = []
        self.finished: dict[int, CheckResult] = {}
        self.running_check: str | None = None
        self.checker_ready = False
        self.checker_result: dict[str, Any] | None = None
        self.grader_error: str | None = None
        self.learner_ready = False
        self.learner_end: dict[str, Any] | None = None  # "done" or "learner_error"
        self.grading_started: float | None = None  # set by the runner when the clock starts

    # --- the readers' side --------------------------------------------------------------

    def feed_output(self, chunk: bytes) -> None:
        with self.lock:
            self.output.feed(chunk)

    def learner_feed(self) -> Callable[[bytes], None]:
        """The learner's process may say only: ready, done (with claims), or why it failed."""
        reader = LineReader()

        def feed(chunk: bytes) -> None:
            for message in messages(reader, chunk):
                kind = message["kind"]
                with self.lock:
                    if kind == "ready" and self.grading_started is None:
                        self.learner_ready = True
                    elif kind in ("done", "learner_error"):
                        self.learner_end = message
                self.wakeup.set()

        return feed

    def checker_feed(self) -> Callable[[bytes], None]:
        reader = LineReader()

        def feed(chunk: bytes) -> None:
            for message in messages(reader, chunk):
                self._handle_checker(message)
                self.wakeup.set()

        return feed

    def _handle_checker(self, message: dict[str, Any]) -> None:
        kind = message.pop("kind")
        event: dict[str, Any] | None = message
        with self.lock:
            if kind == "env":
                self.env = Env(
                    torch=str(message.get("torch")),
                    engine=str(message.get("engine")),
                    threads=int(message.get("threads") or self.threads),
                )
            elif kind == "checks":
                self.check_names = [str(n) for n in message.get("names", [])]
                self.check_points = [float(p) for p in message.get("max_scores", [])]
                self.check_directions = [
                    d if d in DIRECTIONS else None for d in message.get("directions", [])
                ]
            elif kind == "ready":
                self.checker_ready = True
                event = None
            elif kind == "check_started":
                self.running_check = str(message.get("name"))
            elif kind == "check_finished":
                check = self._accepted(message)
                if check is None:
                    return
                self.finished[int(message["index"])] = check
                self.running_check = None
                event = {"index": message["index"], "check": check.to_wire()}
            elif kind == "result":
                self.checker_result = message
                event = None
            elif kind == "grader_error":
                self.grader_error = str(message.get("message"))
                event = None
            elif kind not in ("phase", "progress"):
                return
        if event is not None:
            self.emit(kind, event)

    def _accepted(self, message: dict[str, Any]) -> CheckResult | None:
        """A finished check, if it is one the checker announced, with its points (under the
        lock)."""
        index, raw = message.get("index"), message.get("check")
        if not isinstance(index, int) or not isinstance(raw, dict):
            return None
        if not 0 <= index < len(self.check_names) or index in self.finished:
            return None
        try:
            check = CheckResult.from_wire(raw)
        except (KeyError, TypeError, ValueError):
            return None
        points = self.check_points[index] if index < len(self.check_points) else 0.0
        if check.name != self.check_names[index]:
            return None
        score = points if check.status == "pass" else 0.0
        return CheckResult(
            check.name,
            check.status,
            check.message,
            check.measured,
            check.threshold,
            score=score,
            max_score=points,
            direction=self._direction(index),
        )

    def _direction(self, index: int) -> Direction | None:
        return self.check_directions[index] if index < len(self.check_directions) else None

    # --- the runner's side ----------------------------------------------------------------

    def checks_so_far(self, skipped: str | None) -> list[CheckResult]:
        """Every announced check (under the lock): the ones the checker finished, the one it
        was running as stopped, the rest skipped (with `skipped` as their reason when the
        learner's run failed)."""
        checks = []
        for index, name in enumerate(self.check_names):
            done = self.finished.get(index)
            if done is not None:
                checks.append(done)
                continue
            reason = skipped or ("stopped here" if name == self.running_check else "not run")
            points = self.check_points[index] if index < len(self.check_points) else 0.0
            checks.append(
                CheckResult(
                    name, "skip", reason, max_score=points, direction=self._direction(index)
                )
            )
        return checks
