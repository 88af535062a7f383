"""The grade's two child processes as the parent starts and supervises them (no torch).

- `start_checker`: the checker (`quizapp.grading.checker`), an isolated interpreter in its
  own session, its job on stdin, its events on a pipe of their own.
- `start_learner`: the learner's process (`quizapp.grading.learner`), in a bubblewrap
  sandbox where there is one, otherwise under the subreaper supervisor; a minimal
  environment, its output (stdout and stderr together) on a pipe, a "go" pipe that starts
  its clock.
- `limit_breach`: the learner's process tree against its limits (resident memory, number of
  processes), polled by the runner; a breach kills the tree.
- `BoundedOutput` and `reader_thread`: what the children write, read on threads, bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from quizapp.grading import sandbox
from quizapp.grading.catalogue import Exercise, exercises_root
from quizapp.storage.locations import locations

OUTPUT_HEAD = 16_000  # characters of the learner's output kept from the start ...
OUTPUT_TAIL = 8_000  # ... and from the end
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


def start_checker(
    job_dir: Path, exercise: Exercise, file: Path, threads: int
) -> tuple[subprocess.Popen[bytes], int]:
    """The checker, its job written to its stdin; returns it and its events' read end."""
    events_read, events_write = os.pipe()
    env = dict(os.environ)
    for name in THREAD_ENV:
        env[name] = str(threads)
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
        "exercise": exercise.id,
        "checks_path": str(exercise.checks.resolve()),
        "job_dir": str(job_dir),
        "threads": threads,
        "display_path": str(file.resolve()),
    }
    assert process.stdin is not None
    process.stdin.write(json.dumps(job).encode() + b"\n")
    process.stdin.flush()
    return process, events_read


def start_learner(
    job_dir: Path,
    exercise: Exercise,
    threads: int,
    limits: sandbox.Limits,
    bwrap: str | None,
) -> tuple[subprocess.Popen[bytes], int, int]:
    """The learner's process (sandboxed with `bwrap` when given); returns it, its events'
    read end and the write end of its "go" pipe."""
    events_read, events_write = os.pipe()
    go_read, go_write = os.pipe()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "CUDA_VISIBLE_DEVICES": "",
        **{name: str(threads) for name in THREAD_ENV},
    }
    if bwrap is not None:
        root = sandbox.JOB_ROOT
        env["HOME"] = f"{root}/work"
        places = locations()
        command = sandbox.bwrap_command(
            bwrap,
            [*_python(), _boot("learner"), root, str(events_write), str(go_read)],
            job_dir=job_dir,
            hidden=sandbox.with_link_targets(
                [places.data_dir, places.cache_dir, places.workspace_dir]
            ),
            needed=[
                *sandbox.interpreter_paths(),
                Path(_PACKAGE_ROOT),
                exercises_root(),
                exercise.folder,
            ],
            env=env,
            limits=limits,
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


def limit_breach(pid: int, limits: sandbox.Limits, *, read_memory: bool) -> str | None:
    """What limit the process tree under `pid` broke (it is killed then), or None. Its
    memory is read only with `read_memory`: reading every process's memory costs more than
    counting them."""
    if sandbox.tree_processes(pid) > limits.processes:
        sandbox.kill_tree(pid)
        return f"Your code started more than {limits.processes} processes and was stopped."
    if read_memory and sandbox.tree_memory(pid) > limits.memory_bytes:
        sandbox.kill_tree(pid)
        return (
            f"Your code used more than {limits.memory_bytes / sandbox.GIB:g} GiB of memory "
            "and was stopped."
        )
    return None


def _python() -> list[str]:
    """The learner's interpreter: isolated (no PYTHON* variables, no user site-packages, no
    current folder on sys.path), unbuffered, no .pyc writes."""
    return [sys.executable, "-I", "-B", "-u", "-c"]


def _boot(module: str) -> str:
    return _BOOT.format(root=_PACKAGE_ROOT, module=module)


class BoundedOutput:
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


def reader_thread(
    fd: int, feed: Callable[[bytes], None], *, close: bool = True
) -> threading.Thread:
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
