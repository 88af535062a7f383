"""Grade a learner's file: two child processes and a verdict (parent side: no torch, the TUI
imports this).

`run_check(exercise_id, file, ...)` makes a job folder (`in/`: the job, the learner's file
and the checker's inputs; `out/`: the artifacts) and starts, side by side:

- the **checker** (`quizapp.grading.checker`): imports torch, prepares the baseline, data
  and expected answers, writes the learner's inputs and says "ready"; later it loads the
  artifacts and makes the verdict. It never runs learner Python.
- the **learner's process** (`quizapp.grading.learner`), in a bubblewrap sandbox where there
  is one (see quizapp.grading.sandbox), otherwise under a subreaper supervisor: it imports
  torch meanwhile, then waits.

When both are ready the learner's clock starts (its time limit covers its run only, not
torch's import or a first-run baseline training, which have `setup_timeout`). Its process
runs the learner's file and saves what it returns; when it has ended (and everything it
started has been killed), the checker grades the artifacts. Limits on the learner's
process tree (resident memory, number of processes) are polled here.

This module is the grade's course: its phases, their clocks, the cancel, and what each way
of ending means to the learner. How the children are started and their limits read is in
`quizapp.grading.children`; what they said, and what of it the parent believes, in
`quizapp.grading.child_reports`.

The parent believes only the checker, and only a well-formed result: the checks it
announced, with their points, each line bounded. The learner's process can only say that it
finished, or why it failed (a message shown as such); its stdout and stderr are captured
into a bounded buffer and never parsed. `on_event` receives `Event`s as they come (from a
reader thread: a Textual app hands them to the UI with `call_from_thread`); setting `cancel`
kills both children.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quizapp.grading import sandbox
from quizapp.grading.catalogue import Exercise, load_catalogue
from quizapp.grading.child_reports import ChildReports
from quizapp.grading.children import (
    BoundedOutput,
    limit_breach,
    reader_thread,
    start_checker,
    start_learner,
)
from quizapp.grading.results import CheckResult, GradeResult, Status, summarize
from quizapp.storage.settings import settings

SETUP_TIMEOUT_S = 1800.0  # a first-run baseline training on a slow laptop fits in this
VERDICT_TIMEOUT_S = 600.0  # the checker measuring the learner's model
MAX_SOURCE_BYTES = 1 << 20
DEFAULT_THREADS = 2
POLL_S = 0.05
MEMORY_POLL_TICKS = 3  # memory is read every third poll


@dataclass(frozen=True)
class Event:
    """One report from the grade.

    kinds: "started" (pid: the learner's process tree); "env" (torch, engine, threads);
    "phase" (phase: "setup" | "grading"); "progress" (step, total, message: baseline
    training; a message of "" is a bare tick); "checks" (names: every check, in order;
    max_scores: their points; directions: which way each one's figure is better);
    "check_started" (name, index); "check_finished" (index,
    check: a CheckResult).
    """

    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def check(self) -> CheckResult | None:
        raw = self.data.get("check")
        return CheckResult.from_wire(raw) if isinstance(raw, dict) else None


EventCallback = Callable[[Event], None]


def default_threads() -> int:
    """The threads a grade gives torch: QUIZAPP_GRADE_THREADS, else 2 (or fewer cores)."""
    setting = settings().grade_threads
    if setting is not None:
        return setting
    return max(1, min(DEFAULT_THREADS, os.cpu_count() or 1))


def run_check(
    exercise_id: str,
    file: str | os.PathLike[str],
    *,
    timeout: float | None = None,
    on_event: EventCallback | None = None,
    cancel: threading.Event | None = None,
    setup_timeout: float = SETUP_TIMEOUT_S,
    threads: int | None = None,
    exercise: Exercise | None = None,
    limits: sandbox.Limits | None = None,
) -> GradeResult:
    """Grade `file` against exercise `exercise_id`; never raises for anything the file does."""
    exercise = exercise or load_catalogue().get(exercise_id)
    return _Grade(
        exercise,
        Path(file),
        timeout=timeout or exercise.time_limit_s,
        on_event=on_event,
        cancel=cancel or threading.Event(),
        setup_timeout=setup_timeout,
        threads=threads or default_threads(),
        limits=limits or configured_limits(),
    ).run()


def configured_limits() -> sandbox.Limits:
    """The limits with the user's memory setting (`quizapp config grade-memory`)."""
    from quizapp.storage.exercises import stored_grade_memory_gib

    return sandbox.Limits(memory_bytes=int(stored_grade_memory_gib() * sandbox.GIB))


class _Stop(Exception):
    """The grade ends here with this result."""

    def __init__(self, result: GradeResult) -> None:
        self.result = result


def read_source(file: Path) -> bytes | str:
    """The learner's file, or a message saying why it cannot be graded."""
    try:
        info = os.stat(file)
    except FileNotFoundError:
        return f"{file}: no such file"
    except OSError as exc:  # a symlink loop, a name too long, no permission
        return f"{file}: cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return f"{file}: is a folder, not a Python file"
    if not stat.S_ISREG(info.st_mode):
        return f"{file}: is not a regular file (a pipe, socket or device): give a Python file"
    if info.st_size > MAX_SOURCE_BYTES:
        return f"{file}: is {info.st_size:,} bytes; a learner's file is at most 1 MB"
    try:
        source = file.read_bytes()
    except OSError as exc:
        return f"{file}: cannot be read: {exc.strerror or exc}"
    null = source.find(b"\0")
    if null >= 0:
        line = source.count(b"\n", 0, null) + 1
        column = null - (source.rfind(b"\n", 0, null) + 1) + 1
        return (
            f"{file}:{line}:{column}: the file contains a null byte; a Python file is text. "
            "Was it saved in another format?"
        )
    return source


class _Grade:
    def __init__(
        self,
        exercise: Exercise,
        file: Path,
        *,
        timeout: float,
        on_event: EventCallback | None,
        cancel: threading.Event,
        setup_timeout: float,
        threads: int,
        limits: sandbox.Limits,
    ) -> None:
        self.exercise, self.file = exercise, file
        self.timeout, self.setup_timeout = timeout, setup_timeout
        self.on_event, self.cancel, self.threads = on_event, cancel, threads
        self.limits = limits
        self.reports = ChildReports(threads, _installed_torch(), self._emit)
        self.lock, self.wakeup = self.reports.lock, self.reports.wakeup
        self.started = time.monotonic()
        self.bwrap = sandbox.bwrap_path()
        self.children_started = False
        self.ticks = 0

    # --- the grade ----------------------------------------------------------------------

    def run(self) -> GradeResult:
        if sandbox.sandbox_setting() == "require" and self.bwrap is None:
            return self._result(
                "error",
                "QUIZAPP_SANDBOX=require, but no sandbox can run: "
                + sandbox.sandbox_unavailable_reason(),
                checks=[],
            )
        source = read_source(self.file)
        if isinstance(source, str):
            return self._result("error", source, checks=[])
        job_dir = Path(tempfile.mkdtemp(prefix="quizapp-grade-"))
        processes: list[subprocess.Popen[bytes]] = []
        try:
            (job_dir / "in").mkdir()
            (job_dir / "out").mkdir()
            (job_dir / "in" / "submission.py").write_bytes(source)
            (job_dir / "in" / "job.json").write_text(json.dumps(self._job()))
            return self._grade(job_dir, processes)
        except _Stop as stop:
            return stop.result
        finally:
            for process in processes:
                sandbox.kill_tree(process.pid)
                with contextlib.suppress(Exception):
                    process.wait(timeout=10)
                for stream in (process.stdin, process.stdout, process.stderr):
                    if stream is not None:
                        with contextlib.suppress(OSError):
                            stream.close()
            shutil.rmtree(job_dir, ignore_errors=True)

    def _job(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise.id,
            "checks_path": str(self.exercise.checks.resolve()),
            "entry_point": self.exercise.manifest.entry_point.name,
            "display_path": str(self.file.resolve()),
            "threads": self.threads,
            "file_bytes": self.limits.file_bytes,
        }

    def _grade(self, job_dir: Path, processes: list[subprocess.Popen[bytes]]) -> GradeResult:
        self.children_started = True
        reports = self.reports
        checker, checker_events = start_checker(job_dir, self.exercise, self.file, self.threads)
        processes.append(checker)
        learner, learner_events, go = start_learner(
            job_dir, self.exercise, self.threads, self.limits, self.bwrap
        )
        processes.append(learner)
        self._emit("started", {"pid": learner.pid, "sandboxed": self.bwrap is not None})
        assert learner.stdout is not None and checker.stderr is not None
        checker_errors = BoundedOutput(4000, 4000)
        readers = [
            reader_thread(learner.stdout.fileno(), reports.feed_output, close=False),
            reader_thread(learner_events, reports.learner_feed()),
            reader_thread(checker_events, reports.checker_feed()),
            reader_thread(checker.stderr.fileno(), checker_errors.feed, close=False),
        ]

        # 1. both children get ready: torch imported, the checker's inputs written
        while True:
            self._tick(learner)
            with self.lock:
                ready = reports.learner_ready and reports.checker_ready
            if ready:
                break
            self._stop_if_learner_failed(learner, readers[1])
            self._stop_if_checker_failed(checker, readers[2], checker_errors)
            if time.monotonic() - self.started > self.setup_timeout:
                raise _Stop(self._setup_timeout())

        # 2. the learner's run, against its clock
        with self.lock:
            reports.grading_started = grading_started = time.monotonic()
        self._emit("phase", {"phase": "grading"})
        with contextlib.suppress(OSError):
            os.write(go, b"go\n")
        os.close(go)
        while learner.poll() is None:
            self._tick(learner)
            self._stop_if_checker_failed(checker, readers[2], checker_errors)
            if time.monotonic() - grading_started > self.timeout:
                raise _Stop(self._timeout())
        sandbox.kill_tree(learner.pid)  # nothing it started outlives it
        readers[0].join(timeout=5)
        readers[1].join(timeout=5)
        with self.lock:
            end = reports.learner_end
        if end is None or end.get("kind") != "done":
            raise _Stop(self._learner_failed(learner.returncode, end))

        # 3. the verdict
        claims = end.get("claims") if isinstance(end.get("claims"), dict) else {}
        try:
            assert checker.stdin is not None
            checker.stdin.write(json.dumps({"kind": "grade", "claims": claims}).encode() + b"\n")
            checker.stdin.flush()
        except (OSError, ValueError):
            pass  # the checker is gone: said below
        verdict_started = time.monotonic()
        while True:
            with self.lock:
                result = reports.checker_result
            if result is not None:
                return self._verdict(result)
            self._stop_if_checker_failed(checker, readers[2], checker_errors)
            if time.monotonic() - verdict_started > max(VERDICT_TIMEOUT_S, 2 * self.timeout):
                raise _Stop(
                    self._result(
                        "timeout",
                        "Measuring the model your code returned took longer than "
                        f"{VERDICT_TIMEOUT_S:g} s; it was stopped.",
                    )
                )
            self._wait()

    def _tick(self, learner: subprocess.Popen[bytes]) -> None:
        """Wait a little, then enforce the cancel and the learner's limits."""
        self._wait()
        if self.cancel.is_set():
            raise _Stop(self._result("error", "Grading was cancelled.", cancelled=True))
        if learner.poll() is not None:
            return
        self.ticks += 1
        breach = limit_breach(
            learner.pid, self.limits, read_memory=self.ticks % MEMORY_POLL_TICKS == 0
        )
        if breach is not None:
            raise _Stop(self._result("error", breach))

    def _wait(self) -> None:
        self.wakeup.wait(POLL_S)
        self.wakeup.clear()

    def _stop_if_learner_failed(self, learner: subprocess.Popen[bytes], reader: Any) -> None:
        with self.lock:
            end = self.reports.learner_end
        if end is not None and end.get("kind") == "learner_error":
            raise _Stop(self._learner_failed(None, end))
        if learner.poll() is not None:
            reader.join(timeout=5)
            with self.lock:
                end = self.reports.learner_end
            raise _Stop(self._learner_failed(learner.returncode, end))

    def _stop_if_checker_failed(
        self, checker: subprocess.Popen[bytes], reader: Any, errors: BoundedOutput
    ) -> None:
        with self.lock:
            problem = self.reports.grader_error
        if problem is None and checker.poll() is not None:
            reader.join(timeout=5)
            with self.lock:
                problem = self.reports.grader_error
                done = self.reports.checker_result is not None
            if done:
                return
            if problem is None:
                tail = errors.text().strip().splitlines()[-3:]
                problem = f"it ended with exit code {checker.returncode}" + (
                    ": " + " / ".join(tail) if tail else ""
                )
        if problem is not None:
            raise _Stop(
                self._result(
                    "error",
                    "The grader itself failed (a bug in quizapp, not in your code): " + problem,
                )
            )

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        if self.on_event is not None:
            with contextlib.suppress(Exception):  # a UI callback's bug must not lose the grade
                self.on_event(Event(kind, data))

    # --- results ------------------------------------------------------------------------

    def _verdict(self, result: dict[str, Any]) -> GradeResult:
        with self.lock:
            checks = [self.reports.finished.get(i) for i in range(len(self.reports.check_names))]
        if any(c is None for c in checks):
            return self._result("error", "The grader's result is missing checks (a bug).")
        status, _, _ = summarize([c for c in checks if c is not None])
        message = str(result.get("message") or "")
        return self._result(status, message)

    def _setup_timeout(self) -> GradeResult:
        return self._result(
            "error",
            f"The grader's setup (loading torch, preparing the baseline model) took longer "
            f"than {self.setup_timeout:g} s and was stopped. Try again on a less busy machine.",
        )

    def _timeout(self) -> GradeResult:
        return self._result(
            "timeout",
            f"Your code did not finish within the time limit of {self.timeout:g} s; it was "
            "stopped. Look for an endless loop or far too much work.",
        )

    def _learner_failed(self, returncode: int | None, end: dict[str, Any] | None) -> GradeResult:
        if end is not None and end.get("kind") == "learner_error":
            message = str(end.get("message") or "Your code failed.")
            stage = end.get("stage")
            reason = {
                "compile": "not run: your file did not compile",
                "load": "not run: your file did not load",
            }.get(str(stage), f"not run: {message.splitlines()[0]}")
            return self._result("error", message, skipped=reason)
        # faulthandler's dump (on a crash) is not the learner's to read: keep their frames for
        # the message and leave the rest out of the output shown.
        with self.lock:
            output = self.reports.output.text()
        output, _, dump = output.partition("Fatal Python error:")
        return self._result("error", self._death_message(returncode, dump), output=output)

    def _death_message(self, returncode: int | None, dump: str) -> str:
        # The sandbox and the supervisor report a signal N as 128 + N, like a shell; a root
        # process killed itself (its parent died) shows as -N.
        signal_number = None
        if returncode is not None and returncode > 128:
            signal_number = returncode - 128
        elif returncode is not None and returncode < 0:
            signal_number = -returncode
        if signal_number is not None:
            try:
                name = signal.Signals(signal_number).name
            except ValueError:
                name = f"signal {signal_number}"
            what = {
                "SIGSEGV": "a segmentation fault (bad memory access)",
                "SIGBUS": "a bus error (bad memory access)",
                "SIGABRT": "an abort",
                "SIGKILL": "SIGKILL (often: out of memory)",
                "SIGFPE": "a floating-point exception",
            }.get(name, name)
            message = f"The Python process running your code crashed with {what}."
        elif self.reports.grading_started is None:
            message = (
                f"The grader stopped before it ran your code (exit code {returncode}); "
                "see the output below."
            )
        else:
            message = (
                f"The Python process running your code ended without a result (exit code "
                f"{returncode}): something in your code ended the process, e.g. os._exit()."
            )
        path = re.escape(str(self.file.resolve()))
        where = [m.group(0) for m in re.finditer(rf'File "{path}", line \d+ in \S+', dump)]
        if where:
            message += "\nWhere your code was (innermost last):\n" + "\n".join(
                f"  {line}" for line in reversed(where[:5])
            )
        return message

    def _result(
        self,
        status: Status,
        message: str,
        *,
        checks: list[CheckResult] | None = None,
        cancelled: bool = False,
        output: str | None = None,
        skipped: str | None = None,
    ) -> GradeResult:
        """The grade: the checks the checker finished, the one it was running as stopped,
        the rest skipped (with `skipped` as their reason when the learner's run failed)."""
        with self.lock:
            if checks is None:
                checks = self.reports.checks_so_far(skipped)
            env = self.reports.env
            truncated = self.reports.output.truncated
            if output is None:
                output = self.reports.output.text()
        if self.children_started and self.bwrap is None and not cancelled:
            message = (
                f"{message}\n({sandbox.NOT_SANDBOXED}; {sandbox.sandbox_unavailable_reason()})"
            )
        score = sum(c.score for c in checks)
        max_score = sum(c.max_score for c in checks)
        return GradeResult(
            exercise=self.exercise.id,
            status=status,
            score=score,
            max_score=max_score,
            duration_s=time.monotonic() - self.started,
            message=message,
            checks=tuple(checks),
            env=env,
            output=output,
            output_truncated=truncated,
            cancelled=cancelled,
        )


def _installed_torch() -> str | None:
    """torch's version without importing it (the checker reports the real one)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return None
