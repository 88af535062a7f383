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
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quizapp.grading import sandbox
from quizapp.grading.catalogue import Exercise, exercises_root, load_catalogue
from quizapp.grading.protocol import LineReader, messages
from quizapp.grading.results import DIRECTIONS, CheckResult, Direction, Env, GradeResult, summarize
from quizapp.storage.locations import locations

SETUP_TIMEOUT_S = 1800.0  # a first-run baseline training on a slow laptop fits in this
VERDICT_TIMEOUT_S = 600.0  # the checker measuring the learner's model
OUTPUT_HEAD = 16_000  # characters of the learner's output kept from the start ...
OUTPUT_TAIL = 8_000  # ... and from the end
MAX_SOURCE_BYTES = 1 << 20
DEFAULT_THREADS = 2
POLL_S = 0.05
MEMORY_POLL_TICKS = 3  # memory is read every third poll
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, {root!r}); from quizapp.grading.{module} import main; main()"
)


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
    setting = os.environ.get("QUIZAPP_GRADE_THREADS", "").strip()
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
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
        self.output = _BoundedOutput()
        self.env = Env(torch=_installed_torch(), threads=threads)
        self.lock = threading.Lock()
        self.wakeup = threading.Event()
        self.started = time.monotonic()
        # what the children said (under the lock)
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
        self.grading_started: float | None = None
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
        checker, checker_events = self._start_checker(job_dir)
        processes.append(checker)
        learner, learner_events, go = self._start_learner(job_dir)
        processes.append(learner)
        self._emit(Event("started", {"pid": learner.pid, "sandboxed": self.bwrap is not None}))
        assert learner.stdout is not None and checker.stderr is not None
        checker_errors = _BoundedOutput(4000, 4000)
        readers = [
            _reader(learner.stdout.fileno(), self._feed_output, close=False),
            _reader(learner_events, self._learner_reader()),
            _reader(checker_events, self._checker_reader()),
            _reader(checker.stderr.fileno(), checker_errors.feed, close=False),
        ]

        # 1. both children get ready: torch imported, the checker's inputs written
        while True:
            self._tick(learner)
            with self.lock:
                ready = self.learner_ready and self.checker_ready
            if ready:
                break
            self._stop_if_learner_failed(learner, readers[1])
            self._stop_if_checker_failed(checker, readers[2], checker_errors)
            if time.monotonic() - self.started > self.setup_timeout:
                raise _Stop(self._setup_timeout())

        # 2. the learner's run, against its clock
        with self.lock:
            self.grading_started = time.monotonic()
        self._emit(Event("phase", {"phase": "grading"}))
        with contextlib.suppress(OSError):
            os.write(go, b"go\n")
        os.close(go)
        while learner.poll() is None:
            self._tick(learner)
            self._stop_if_checker_failed(checker, readers[2], checker_errors)
            if time.monotonic() - self.grading_started > self.timeout:
                raise _Stop(self._timeout())
        sandbox.kill_tree(learner.pid)  # nothing it started outlives it
        readers[0].join(timeout=5)
        readers[1].join(timeout=5)
        with self.lock:
            end = self.learner_end
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
                result = self.checker_result
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
        if sandbox.tree_processes(learner.pid) > self.limits.processes:
            sandbox.kill_tree(learner.pid)
            raise _Stop(
                self._result(
                    "error",
                    f"Your code started more than {self.limits.processes} processes and was "
                    "stopped.",
                )
            )
        self.ticks += 1
        # Reading every process's memory costs more than counting them: every third poll.
        if (
            self.ticks % MEMORY_POLL_TICKS == 0
            and sandbox.tree_memory(learner.pid) > self.limits.memory_bytes
        ):
            sandbox.kill_tree(learner.pid)
            raise _Stop(
                self._result(
                    "error",
                    f"Your code used more than {self.limits.memory_bytes / sandbox.GIB:g} GiB "
                    "of memory and was stopped.",
                )
            )

    def _wait(self) -> None:
        self.wakeup.wait(POLL_S)
        self.wakeup.clear()

    def _stop_if_learner_failed(self, learner: subprocess.Popen[bytes], reader: Any) -> None:
        with self.lock:
            end = self.learner_end
        if end is not None and end.get("kind") == "learner_error":
            raise _Stop(self._learner_failed(None, end))
        if learner.poll() is not None:
            reader.join(timeout=5)
            with self.lock:
                end = self.learner_end
            raise _Stop(self._learner_failed(learner.returncode, end))

    def _stop_if_checker_failed(
        self, checker: subprocess.Popen[bytes], reader: Any, errors: _BoundedOutput
    ) -> None:
        with self.lock:
            problem = self.grader_error
        if problem is None and checker.poll() is not None:
            reader.join(timeout=5)
            with self.lock:
                problem = self.grader_error
                done = self.checker_result is not None
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

    # --- the children -------------------------------------------------------------------

    def _start_checker(self, job_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
        events_read, events_write = os.pipe()
        env = dict(os.environ)
        for name in THREAD_ENV:
            env[name] = str(self.threads)
        env["CUDA_VISIBLE_DEVICES"] = ""
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", "-B", "-c", _boot("checker"), str(events_write)],
                cwd=job_dir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(events_write,),
                start_new_session=True,
            )
        finally:
            os.close(events_write)
        job = {
            "exercise": self.exercise.id,
            "checks_path": str(self.exercise.checks.resolve()),
            "job_dir": str(job_dir),
            "threads": self.threads,
            "display_path": str(self.file.resolve()),
        }
        assert process.stdin is not None
        process.stdin.write(json.dumps(job).encode() + b"\n")
        process.stdin.flush()
        return process, events_read

    def _start_learner(self, job_dir: Path) -> tuple[subprocess.Popen[bytes], int, int]:
        events_read, events_write = os.pipe()
        go_read, go_write = os.pipe()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp",
            "CUDA_VISIBLE_DEVICES": "",
            **{name: str(self.threads) for name in THREAD_ENV},
        }
        if self.bwrap is not None:
            root = sandbox.JOB_ROOT
            env["HOME"] = f"{root}/work"
            places = locations()
            command = sandbox.bwrap_command(
                self.bwrap,
                [*_python(), _boot("learner"), root, str(events_write), str(go_read)],
                job_dir=job_dir,
                hidden=sandbox.with_link_targets(
                    [places.data_dir, places.cache_dir, places.workspace_dir]
                ),
                needed=[
                    *sandbox.interpreter_paths(),
                    Path(_PACKAGE_ROOT),
                    exercises_root(),
                    self.exercise.folder,
                ],
                env=env,
                limits=self.limits,
            )
            cwd = job_dir
        else:
            work = job_dir / "work"
            work.mkdir()
            env["HOME"] = str(work)
            command = [
                sys.executable,
                "-I",
                "-B",
                "-c",
                _boot("supervisor"),
                *_python(),
                _boot("learner"),
                str(job_dir),
                str(events_write),
                str(go_read),
            ]
            cwd = work
        try:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(events_write, go_read),
                start_new_session=True,
            )
        finally:
            os.close(events_write)
            os.close(go_read)
        return process, events_read, go_write

    # --- reading ------------------------------------------------------------------------

    def _feed_output(self, chunk: bytes) -> None:
        with self.lock:
            self.output.feed(chunk)

    def _learner_reader(self) -> Callable[[bytes], None]:
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

    def _checker_reader(self) -> Callable[[bytes], None]:
        reader = LineReader()

        def feed(chunk: bytes) -> None:
            for message in messages(reader, chunk):
                self._handle_checker(message)
                self.wakeup.set()

        return feed

    def _handle_checker(self, message: dict[str, Any]) -> None:
        kind = message.pop("kind")
        event: Event | None = Event(kind, message)
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
                event = Event(kind, {"index": message["index"], "check": check.to_wire()})
            elif kind == "result":
                self.checker_result = message
                event = None
            elif kind == "grader_error":
                self.grader_error = str(message.get("message"))
                event = None
            elif kind not in ("phase", "progress"):
                return
        if event is not None:
            self._emit(event)

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

    def _emit(self, event: Event) -> None:
        if self.on_event is not None:
            with contextlib.suppress(Exception):  # a UI callback's bug must not lose the grade
                self.on_event(event)

    # --- results ------------------------------------------------------------------------

    def _verdict(self, result: dict[str, Any]) -> GradeResult:
        with self.lock:
            checks = [self.finished.get(i) for i in range(len(self.check_names))]
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
            output = self.output.text()
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
                checks = []
                for index, name in enumerate(self.check_names):
                    done = self.finished.get(index)
                    if done is not None:
                        checks.append(done)
                        continue
                    if skipped:
                        reason = skipped
                    else:
                        reason = "stopped here" if name == self.running_check else "not run"
                    points = self.check_points[index] if index < len(self.check_points) else 0.0
                    checks.append(
                        CheckResult(
                            name, "skip", reason, max_score=points, direction=self._direction(index)
                        )
                    )
            env = self.env
            truncated = self.output.truncated
            if output is None:
                output = self.output.text()
        if self.children_started and self.bwrap is None and not cancelled:
            message = (
                f"{message}\n({sandbox.NOT_SANDBOXED}; {sandbox.sandbox_unavailable_reason()})"
            )
        score = sum(c.score for c in checks)
        max_score = sum(c.max_score for c in checks)
        return GradeResult(
            exercise=self.exercise.id,
            status=status,  # type: ignore[arg-type]
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


def _python() -> list[str]:
    """The learner's interpreter: isolated (no PYTHON* variables, no user site-packages, no
    current folder on sys.path), unbuffered, no .pyc writes."""
    return [sys.executable, "-I", "-B", "-u", "-c"]


def _boot(module: str) -> str:
    return _BOOT.format(root=_PACKAGE_ROOT, module=module)


def _reader(fd: int, feed: Callable[[bytes], None], *, close: bool = True) -> threading.Thread:
    """A thread feeding what `fd` delivers to `feed` until its end (`close`: the fd is ours
    to close; a Popen's own stream is closed by its owner)."""

    def read() -> None:
        try:
            while chunk := os.read(fd, 1 << 16):
                feed(chunk)
        except OSError:
            pass
        finally:
            if close:
                with contextlib.suppress(OSError):
                    os.close(fd)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _installed_torch() -> str | None:
    """torch's version without importing it (the checker reports the real one)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return None
