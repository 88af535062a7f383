"""Watch mode: re-grade a file each time it is saved (shared by `quizapp check --watch` and
the TUI's exercise screen). Plain Python: no textual, no torch.

Two small pieces, each driven by its caller's loop (a thread, a Textual timer) and a clock
that tests replace:

- `FileWatcher` polls one file (a `stat` every `interval` seconds; the content is hashed only
  when the stat changed, or while the file is young enough for a same-size rewrite to hide
  inside the file system's timestamp granularity) and reports a save once the file has been
  quiet for `debounce` seconds: an editor's write-rename-chmod burst is one save, and a save
  that leaves the content as it was (a bare `touch`) is none.
- `Regrader` keeps one grade at a time: a save while a grade runs cancels it (the runner's
  `cancel` event) and the next grade starts once the cancelled one has stopped, so their
  reports never interleave.

`watch_and_grade` puts both together for a command-line loop.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

POLL_INTERVAL_S = 0.5
DEBOUNCE_S = 0.3
# A rewrite within this long of the last look may keep size and mtime (coarse timestamps):
# such a file is hashed on every poll until it is older than this.
RACY_WINDOW_NS = 2_000_000_000

Clock = Callable[[], float]
T = TypeVar("T")


@dataclass(frozen=True)
class _Stat:
    mtime_ns: int
    size: int
    inode: int


class FileWatcher:
    """Polls `path`; `poll()` returns True once per settled save."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        interval: float = POLL_INTERVAL_S,
        debounce: float = DEBOUNCE_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.interval, self.debounce, self.clock = interval, debounce, clock
        self._stat: _Stat | None = None
        self._digest: bytes | None = None
        self._read_at_ns = 0  # wall-clock time of the last hash (for the racy rule)
        self._changed_at: float | None = None  # a change seen, not yet settled
        self._next_check = 0.0
        self.hashes = 0  # how many times the content was read (tests: polling stays cheap)
        self.sync()

    # --- what the caller's loop uses -----------------------------------------------------

    def poll(self) -> bool:
        """Look at the file if it is time to; True when a change has settled (a save)."""
        now = self.clock()
        if now < self._next_check:
            return False
        if self._look():
            self._changed_at = now
        if self._changed_at is not None and self._stat is not None:
            if now >= self._changed_at + self.debounce:
                self._changed_at = None
                self._next_check = now + self.interval
                return True
            self._next_check = min(now + self.interval, self._changed_at + self.debounce)
            return False
        self._next_check = now + self.interval  # no change, or the file is missing for now
        return False

    def next_delay(self) -> float:
        """Seconds until `poll` has something to do."""
        return max(0.0, self._next_check - self.clock())

    @property
    def pending(self) -> bool:
        """A change was seen and is waiting to settle."""
        return self._changed_at is not None

    def sync(self, *, save: bool = False) -> None:
        """Take the file as it is now as seen (the caller wrote it itself); with `save`, count
        that write as a save: `poll` reports it once the debounce has passed."""
        self._stat = self._read_stat()
        self._digest = self._hash() if self._stat is not None else None
        if save:
            self._changed_at = self.clock()
            self._next_check = self._changed_at + self.debounce
        else:
            self._changed_at = None
            self._next_check = self.clock() + self.interval

    # --- looking ------------------------------------------------------------------------

    def _read_stat(self) -> _Stat | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return _Stat(st.st_mtime_ns, st.st_size, st.st_ino)

    def _hash(self) -> bytes | None:
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        self.hashes += 1
        self._read_at_ns = time.time_ns()
        return hashlib.blake2b(data, digest_size=16).digest()

    def _look(self) -> bool:
        """True when the file's content differs from what was last seen."""
        stat = self._read_stat()
        if stat is None:  # mid-save (an editor's rename), or deleted: wait for it
            self._stat = None
            return False
        racy = stat.mtime_ns >= self._read_at_ns - RACY_WINDOW_NS
        if stat == self._stat and not racy:
            return False
        self._stat = stat
        digest = self._hash()
        if digest == self._digest:
            return False
        self._digest = digest
        return True


class Regrader:
    """One grade at a time. `start(cancel)` begins a grade (in a thread or a worker) that
    stops early when `cancel` is set; the caller reports its end with `finished()`. All
    methods are called from one thread (the caller's loop)."""

    def __init__(self, start: Callable[[threading.Event], object]) -> None:
        self._start = start
        self._cancel: threading.Event | None = None
        self.pending = False  # a grade waits for the cancelled one to stop
        self.started = 0

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def request(self) -> bool:
        """Grade now; if a grade is running, cancel it and grade again once it has stopped.
        True when a grade started at once."""
        if self._cancel is None:
            self._launch()
            return True
        self._cancel.set()
        self.pending = True
        return False

    def cancel(self) -> bool:
        """Stop the running grade and forget a pending one; True if one was running."""
        self.pending = False
        if self._cancel is None:
            return False
        self._cancel.set()
        return True

    def finished(self) -> None:
        """The running grade ended (passed, failed or cancelled): start the pending one."""
        self._cancel = None
        if self.pending:
            self.pending = False
            self._launch()

    def _launch(self) -> None:
        self._cancel = threading.Event()
        self.started += 1
        self._start(self._cancel)


class _Done(Generic[T]):
    def __init__(self, value: T) -> None:
        self.value = value


def watch_and_grade(
    watcher: FileWatcher,
    grade: Callable[[threading.Event], T],
    on_result: Callable[[T], None],
    *,
    on_save: Callable[[bool], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Grade once, then again after every save, until `stop` is set or the loop is
    interrupted (KeyboardInterrupt propagates once the running grade has been cancelled and
    has stopped). `grade(cancel)` runs in a thread; `on_result` and `on_save(cancelling)` run
    here, in the caller's thread, so their output never interleaves with a grade's start."""
    stop = stop or threading.Event()
    done: queue.Queue[_Done[T] | BaseException] = queue.Queue()
    awaited = 0  # grades started whose outcome has not been taken from `done`

    def run(cancel: threading.Event) -> None:
        try:
            done.put(_Done(grade(cancel)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            done.put(exc)

    def start(cancel: threading.Event) -> None:
        nonlocal awaited
        awaited += 1
        threading.Thread(target=run, args=(cancel,), name="quizapp-grade", daemon=True).start()

    regrader = Regrader(start)
    regrader.request()
    try:
        while not stop.is_set():
            try:
                item = done.get(timeout=max(0.01, min(watcher.next_delay(), 0.2)))
            except queue.Empty:
                pass
            else:
                awaited -= 1
                if isinstance(item, BaseException):
                    raise item
                on_result(item.value)
                regrader.finished()
            if watcher.poll():
                if on_save is not None:
                    on_save(regrader.running)
                regrader.request()
    finally:
        # Interrupted (ctrl+c) anywhere above: stop the grade still running, if any.
        regrader.cancel()
        if awaited:
            item = done.get()  # the runner stops within a fraction of a second
            if not isinstance(item, BaseException):
                on_result(item.value)
