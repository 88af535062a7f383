"""Grade a learner's file in a child process (parent side: no torch here, the TUI imports it).

`run_check(exercise_id, file, ...)` starts `python -m quizapp.grading.worker` in a fresh
temporary directory, in a new session (so the whole process group can be killed), with a
fixed thread count, stdin closed and stdout+stderr captured into a bounded buffer (a print
flood neither hangs nor fills memory). The worker reports through a pipe of its own, each
line carrying a random token the learner's code never sees in its output, so printing a
fake result does nothing.

Time limits: the setup phase (importing torch, training the baseline on a first run) has
`setup_timeout`; the learner's time limit starts when the worker announces the grading
phase. `on_event` receives `Event`s as they come (from the runner's thread: a Textual app
hands them to the UI with `call_from_thread`), and setting `cancel` kills the child.

Every outcome is a `GradeResult`: the worker's own, or one made here when the child timed
out, crashed, exited or was cancelled, keeping the checks it had finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quizapp.grading.catalogue import Exercise, load_catalogue
from quizapp.grading.results import CheckResult, Env, GradeResult, summarize

SETUP_TIMEOUT_S = 1800.0  # a first-run baseline training on a slow laptop fits in this
OUTPUT_HEAD = 16_000  # characters of the learner's output kept from the start ...
OUTPUT_TAIL = 8_000  # ... and from the end
DEFAULT_THREADS = 2
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class Event:
    """One report from the worker.

    kinds: "started"; "env" (torch, engine, threads); "phase" (phase: "setup" | "grading");
    "progress" (step, total, message: baseline training; a message of "" is a bare tick);
    "checks" (names: every check, in order; max_scores: their points);
    "check_started" (name, index);
    "check_finished" (index, check: a CheckResult); "result".
    """

    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def check(self) -> CheckResult | None:
        raw = self.data.get("check")
        return CheckResult.from_wire(raw) if isinstance(raw, dict) else None


EventCallback = Callable[[Event], None]


def default_threads() -> int:
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
) -> GradeResult:
    """Grade `file` against exercise `exercise_id`; never raises for anything the file does."""
    exercise = exercise or load_catalogue().get(exercise_id)
    return _Run(
        exercise,
        Path(file),
        timeout=timeout or exercise.time_limit_s,
        on_event=on_event,
        cancel=cancel or threading.Event(),
        setup_timeout=setup_timeout,
        threads=threads or default_threads(),
    ).run()


class _BoundedOutput:
    """Keeps the head and the tail of a stream, drops the middle, counts what it dropped."""

    def __init__(self, head: int = OUTPUT_HEAD, tail: int = OUTPUT_TAIL) -> None:
        self.head_limit, self.tail_limit = head, tail
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def feed(self, chunk: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            excess = len(self.tail) - self.tail_limit
            if excess > 0:
                self.dropped += excess
                del self.tail[:excess]

    @property
    def truncated(self) -> bool:
        return self.dropped > 0

    def text(self) -> str:
        head = self.head.decode("utf-8", "replace")
        tail = self.tail.decode("utf-8", "replace")
        if self.dropped:
            return f"{head}\n... ({self.dropped:,} bytes of output left out) ...\n{tail}"
        return head + tail


class _Run:
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
    ) -> None:
        self.exercise, self.file = exercise, file
        self.timeout, self.setup_timeout = timeout, setup_timeout
        self.on_event, self.cancel, self.threads = on_event, cancel, threads
        self.token = secrets.token_hex(16)
        self.output = _BoundedOutput()
        self.env = Env(torch=_installed_torch(), threads=threads)
        self.check_names: list[str] = []
        self.check_points: list[float] = []
        self.finished: dict[int, CheckResult] = {}
        self.running_check: str | None = None
        self.result: dict[str, Any] | None = None
        self.grading_started: float | None = None
        self.lock = threading.Lock()

    # --- the child ----------------------------------------------------------------------

    def run(self) -> GradeResult:
        started = time.monotonic()
        if not self.file.is_file():
            return self._result("error", f"{self.file}: no such file", started, checks=[])
        workdir = Path(tempfile.mkdtemp(prefix="quizapp-grade-"))
        try:
            source = workdir / "submission.py"
            shutil.copyfile(self.file, source)
            return self._run_child(workdir, source, started)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _run_child(self, workdir: Path, source: Path, started: float) -> GradeResult:
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        job = {
            "token": self.token,
            "result_fd": result_write,
            "exercise": self.exercise.id,
            "checks_path": str(self.exercise.checks),
            "entry_point": self.exercise.manifest.entry_point.name,
            "source_path": str(source),
            "display_path": str(self.file.resolve()),
            "threads": self.threads,
        }
        with os.fdopen(job_write, "wb") as handle:  # small: fits in the pipe's buffer
            handle.write(json.dumps(job).encode())
        try:
            process = subprocess.Popen(
                [sys.executable, "-P", "-m", "quizapp.grading.worker", str(job_read)],
                cwd=workdir,
                env=self._child_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(job_read, result_write),
                start_new_session=True,
            )
        finally:
            os.close(job_read)
            os.close(result_write)
        assert process.stdout is not None
        readers = [
            threading.Thread(target=self._read_output, args=(process.stdout,), daemon=True),
            threading.Thread(target=self._read_results, args=(result_read,), daemon=True),
        ]
        for reader in readers:
            reader.start()
        outcome = "exited"
        try:
            outcome = self._wait(process, started)
        finally:
            _kill_group(process)  # also takes any process the learner's code started
            process.wait()
            for reader in readers:
                reader.join(timeout=5)
        return self._conclude(process.returncode, outcome, started)

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in THREAD_ENV:
            env[name] = str(self.threads)
        for name in ("PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONWARNINGS", "PYTHONBREAKPOINT"):
            env.pop(name, None)
        env.update(
            CUDA_VISIBLE_DEVICES="",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONPATH=os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")])),
        )
        return env

    def _wait(self, process: subprocess.Popen[bytes], started: float) -> str:
        while True:
            try:
                process.wait(timeout=0.05)
                return "exited"
            except subprocess.TimeoutExpired:
                pass
            if self.cancel.is_set():
                return "cancelled"
            now = time.monotonic()
            with self.lock:
                grading_started = self.grading_started
            if grading_started is None:
                if now - started > self.setup_timeout:
                    return "setup-timeout"
            elif now - grading_started > self.timeout:
                return "timeout"

    # --- reading ------------------------------------------------------------------------

    def _read_output(self, stream: Any) -> None:
        fd = stream.fileno()
        while chunk := os.read(fd, 65536):
            with self.lock:
                self.output.feed(chunk)
        stream.close()

    def _read_results(self, fd: int) -> None:
        buffer = b""
        prefix = self.token.encode() + b" "
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if not line.startswith(prefix):
                        continue  # not from the worker (the learner found the pipe)
                    try:
                        message = json.loads(line[len(prefix) :])
                        kind = str(message.pop("kind"))
                    except (ValueError, KeyError, TypeError, AttributeError):
                        continue
                    self._handle(Event(kind, message))

    def _handle(self, event: Event) -> None:
        data = event.data
        with self.lock:
            if event.kind == "env":
                self.env = Env(
                    torch=str(data.get("torch")),
                    engine=str(data.get("engine")),
                    threads=int(data.get("threads") or self.threads),
                )
            elif event.kind == "phase" and data.get("phase") == "grading":
                self.grading_started = time.monotonic()
            elif event.kind == "checks":
                self.check_names = [str(n) for n in data.get("names", [])]
                self.check_points = [float(p) for p in data.get("max_scores", [])]
            elif event.kind == "check_started":
                self.running_check = str(data.get("name"))
            elif event.kind == "check_finished" and event.check is not None:
                self.finished[int(data.get("index", len(self.finished)))] = event.check
                self.running_check = None
            elif event.kind == "result":
                self.result = data
        if self.on_event is not None and event.kind != "result":
            # A UI callback's bug must not lose the grade.
            with contextlib.suppress(Exception):
                self.on_event(event)

    # --- the result ---------------------------------------------------------------------

    def _conclude(self, returncode: int | None, outcome: str, started: float) -> GradeResult:
        with self.lock:
            result = self.result
        if outcome == "cancelled":
            return self._result("error", "Grading was cancelled.", started, cancelled=True)
        if outcome == "timeout":
            where = f" (during the check {self.running_check!r})" if self.running_check else ""
            return self._result(
                "timeout",
                f"Your code did not finish within the time limit of {self.timeout:g} s{where}; "
                "it was stopped. Look for an endless loop or far too much work.",
                started,
            )
        if outcome == "setup-timeout":
            return self._result(
                "error",
                f"The grader's setup (loading torch, preparing the baseline model) took longer "
                f"than {self.setup_timeout:g} s and was stopped. Try again on a less busy machine.",
                started,
            )
        if result is not None:
            return self._from_worker(result, started)
        # faulthandler's dump (on a crash) is the grader's stack: keep the learner's frames for
        # the message and leave the rest out of the output shown.
        with self.lock:
            output = self.output.text()
        output, _, dump = output.partition("Fatal Python error:")
        return self._result("error", self._death_message(returncode, dump), started, output=output)

    def _from_worker(self, result: dict[str, Any], started: float) -> GradeResult:
        checks = tuple(CheckResult.from_wire(c) for c in result.get("checks", []))
        status = result.get("status")
        if status not in ("pass", "fail", "error"):
            status = "error"
        computed, score, max_score = summarize(checks) if checks else (status, 0.0, 0.0)
        if status == "pass" and computed != "pass":  # never trust a pass the checks deny
            status = computed
        return GradeResult(
            exercise=self.exercise.id,
            status=status,
            score=score,
            max_score=max_score,
            duration_s=time.monotonic() - started,
            message=str(result.get("message", "")),
            checks=checks,
            env=self.env,
            output=self.output.text(),
            output_truncated=self.output.truncated,
        )

    def _death_message(self, returncode: int | None, dump: str) -> str:
        if returncode is not None and returncode < 0:
            try:
                name = signal.Signals(-returncode).name
            except ValueError:
                name = f"signal {-returncode}"
            what = {
                "SIGSEGV": "a segmentation fault (bad memory access)",
                "SIGBUS": "a bus error (bad memory access)",
                "SIGABRT": "an abort",
                "SIGKILL": "SIGKILL (often: out of memory)",
                "SIGFPE": "a floating-point exception",
            }.get(name, name)
            message = f"The Python process running your code crashed with {what}."
        elif self.grading_started is None:
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
        status: str,
        message: str,
        started: float,
        *,
        checks: list[CheckResult] | None = None,
        cancelled: bool = False,
        output: str | None = None,
    ) -> GradeResult:
        """A result made here (the worker could not send one): the checks it had finished,
        the one it was running as an error/timeout, the rest skipped."""
        with self.lock:
            if checks is None:
                checks = []
                for index, name in enumerate(self.check_names):
                    done = self.finished.get(index)
                    if done is not None:
                        checks.append(done)
                    else:
                        reason = "stopped here" if name == self.running_check else "not run"
                        points = self.check_points[index] if index < len(self.check_points) else 0.0
                        checks.append(CheckResult(name, "skip", reason, max_score=points))
            env = self.env
            truncated = self.output.truncated
            if output is None:
                output = self.output.text()
        score = sum(c.score for c in checks)
        max_score = sum(c.max_score for c in checks)
        return GradeResult(
            exercise=self.exercise.id,
            status=status,  # type: ignore[arg-type]
            score=score,
            max_score=max_score,
            duration_s=time.monotonic() - started,
            message=message,
            checks=tuple(checks),
            env=env,
            output=output,
            output_truncated=truncated,
            cancelled=cancelled,
        )


def _installed_torch() -> str | None:
    """torch's version without importing it (the worker reports the real one)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return None


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
