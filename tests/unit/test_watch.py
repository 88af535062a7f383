"""Watch mode: the polling watcher (debounce, content not timestamps, cheap polls), the
one-grade-at-a-time rule (a save cancels the running grade), the loop that joins them, and
`quizapp check --watch` end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from quizapp.cli import main
from quizapp.grading.watch import FileWatcher, Regrader, watch_and_grade


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def watched(tmp_path: Path) -> Path:
    path = tmp_path / "mine.py"
    path.write_text("x = 1\n")
    return path


def age(path: Path, seconds: float = 60.0) -> None:
    """Make the file's mtime old (a file nobody has touched for a while)."""
    old = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(old, old))


def polls(watcher: FileWatcher, clock: FakeClock, seconds: float, step: float = 0.05) -> int:
    """Poll every `step` for `seconds`; how many saves were reported."""
    saves = 0
    for _ in range(round(seconds / step)):
        clock.advance(step)
        saves += watcher.poll()
    return saves


def test_a_save_is_reported_once_after_the_debounce(watched: Path, clock: FakeClock) -> None:
    watcher = FileWatcher(watched, interval=0.5, debounce=0.3, clock=clock)
    assert polls(watcher, clock, 2.0) == 0
    watched.write_text("x = 2\n")
    clock.advance(0.5)
    assert not watcher.poll() and watcher.pending  # seen, not settled yet
    clock.advance(0.29)
    assert not watcher.poll()
    clock.advance(0.02)
    assert watcher.poll()
    assert polls(watcher, clock, 3.0) == 0


def test_a_burst_of_writes_is_one_save(watched: Path, clock: FakeClock) -> None:
    watcher = FileWatcher(watched, interval=0.1, debounce=0.3, clock=clock)
    for n in range(5):  # an editor writing every 0.2 s: never quiet for 0.3 s
        watched.write_text(f"x = {n + 10}\n")
        assert polls(watcher, clock, 0.2) == 0
    assert polls(watcher, clock, 1.0) == 1


def test_a_touch_without_new_content_is_no_save(watched: Path, clock: FakeClock) -> None:
    watcher = FileWatcher(watched, interval=0.1, debounce=0.1, clock=clock)
    age(watched, 30)
    assert polls(watcher, clock, 0.5) == 0
    os.utime(watched)  # new mtime, same bytes
    assert polls(watcher, clock, 1.0) == 0


def test_a_same_size_rewrite_within_the_timestamp_granularity_is_seen(
    watched: Path, clock: FakeClock
) -> None:
    watcher = FileWatcher(watched, interval=0.1, debounce=0.1, clock=clock)
    before = watched.stat()
    watched.write_text("x = 9\n")  # same size, and the same mtime a coarse clock would give
    os.utime(watched, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert watched.stat().st_mtime_ns == before.st_mtime_ns
    assert watched.stat().st_size == before.st_size
    assert polls(watcher, clock, 0.5) == 1


def test_polling_an_unchanged_old_file_only_stats_it(watched: Path, clock: FakeClock) -> None:
    age(watched)
    watcher = FileWatcher(watched, interval=0.5, debounce=0.3, clock=clock)
    assert watcher.hashes == 1  # the first look
    assert polls(watcher, clock, 30.0) == 0
    assert watcher.hashes == 1
    assert watcher.next_delay() <= 0.5


def test_a_missing_file_waits_for_its_return(watched: Path, clock: FakeClock) -> None:
    watcher = FileWatcher(watched, interval=0.1, debounce=0.1, clock=clock)
    watched.unlink()  # an editor's rename-into-place, caught in the middle
    assert polls(watcher, clock, 1.0) == 0
    watched.write_text("x = 1\n")  # back with the same content: nothing to grade
    assert polls(watcher, clock, 1.0) == 0
    watched.unlink()
    watched.write_text("x = 3\n")
    assert polls(watcher, clock, 1.0) == 1


def test_sync_takes_our_own_write_as_seen_or_as_a_save(watched: Path, clock: FakeClock) -> None:
    watcher = FileWatcher(watched, interval=0.1, debounce=0.2, clock=clock)
    watched.write_text("x = 4\n")
    watcher.sync()  # written by the caller, who grades it itself
    assert polls(watcher, clock, 1.0) == 0
    watched.write_text("x = 5\n")
    watcher.sync(save=True)  # written by the caller in watch mode: a save
    assert watcher.next_delay() == pytest.approx(0.2)
    clock.advance(0.1)
    assert not watcher.poll()
    assert polls(watcher, clock, 0.2) == 1


def test_regrader_cancels_the_running_grade_and_starts_the_next_once_it_stops() -> None:
    started: list[threading.Event] = []
    regrader = Regrader(started.append)
    assert regrader.request() and regrader.running and len(started) == 1
    assert not regrader.request()  # a save during the grade
    assert started[0].is_set() and regrader.pending and len(started) == 1
    assert not regrader.request()  # and another: still one grade to come
    regrader.finished()  # the cancelled grade has stopped
    assert len(started) == 2 and not started[1].is_set() and not regrader.pending
    regrader.finished()
    assert not regrader.running and len(started) == 2
    regrader.request()
    assert regrader.cancel() and started[2].is_set() and not regrader.pending
    regrader.finished()
    assert not regrader.running and len(started) == 3
    assert not regrader.cancel()


def test_watch_and_grade_regrades_on_save_and_cancels_the_running_grade(watched: Path) -> None:
    watcher = FileWatcher(watched, interval=0.01, debounce=0.02)
    stop = threading.Event()
    first_started = threading.Event()
    outcomes: list[str] = []
    saves: list[bool] = []

    def grade(cancel: threading.Event) -> str:
        content = watched.read_text()
        if content == "x = 1\n":  # the first grade runs until it is cancelled
            first_started.set()
            return "cancelled" if cancel.wait(10) else "timed out"
        return f"graded {content.strip()}"

    def result(outcome: str) -> None:
        outcomes.append(outcome)
        if outcome.startswith("graded"):
            stop.set()

    loop = threading.Thread(
        target=watch_and_grade,
        args=(watcher, grade, result),
        kwargs={"on_save": saves.append, "stop": stop},
    )
    loop.start()
    assert first_started.wait(10)
    watched.write_text("x = 2\n")
    loop.join(10)
    assert not loop.is_alive()
    assert outcomes == ["cancelled", "graded x = 2"]
    assert saves == [True]  # the save came while a grade ran


def test_ctrl_c_while_reporting_a_grade_ends_the_loop(watched: Path) -> None:
    """The interrupt lands while the finished grade is being reported: nothing is left
    running, and nothing waits for a grade that has already ended."""
    watcher = FileWatcher(watched, interval=0.01, debounce=0.02)

    def report(outcome: str) -> None:
        raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        watch_and_grade(watcher, lambda cancel: "graded", report)
    assert time.monotonic() - started < 5


def test_check_watch_regrades_each_save_until_ctrl_c(tmp_path: Path) -> None:
    """A file with a syntax error is graded before torch loads: a cheap real run."""
    learner = tmp_path / "mine.py"
    learner.write_text("def quantize(model, batches)\n    return model\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quizapp",
            "check",
            "ptq-resnet18",
            "--file",
            str(learner),
            "--watch",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        # ctrl+c must reach it even when the test itself runs as a background job (which
        # starts with SIGINT ignored, and Python then installs no KeyboardInterrupt).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None
    lines: list[str] = []

    def read_until(text: str) -> None:
        deadline = time.monotonic() + 60
        while not any(text in line for line in lines):
            assert time.monotonic() < deadline, lines
            line = process.stdout.readline()  # type: ignore[union-attr]
            assert line, lines
            lines.append(line)

    try:
        read_until("Waiting for a save")
        assert any("expected ':'" in line for line in lines)
        learner.write_text("def quantize(model, batches):\n    return model(\n")
        read_until("'(' was never closed")
        read_until("Waiting for a save")
        assert any("mine.py saved" in line for line in lines)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert "Stopped watching. Last grade: ERROR" in rest
    assert process.returncode == 1  # the last grade did not pass


def test_check_watch_does_not_combine_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "ptq-resnet18", "--watch", "--json"]) == 2
    assert "--watch" in capsys.readouterr().err


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt here even when the suite runs as a background job
    (which starts with SIGINT ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_a_save_stores_the_result_then_stops(
    ctrl_c_raises: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In watch mode a ctrl+c that came while the result was being written was swallowed
    (pydantic turned it into a serialization error) and the result was lost."""
    from quizapp.commands import check
    from quizapp.grading.results import GradeResult
    from quizapp.storage.db import Database
    from quizapp.storage.exercises import results

    real_record = check.record_result

    def interrupted_record(db, result):  # type: ignore[no-untyped-def]
        signal.raise_signal(signal.SIGINT)  # the user's ctrl+c, in the middle of the save
        return real_record(db, result)

    monkeypatch.setattr(check, "record_result", interrupted_record)
    result = GradeResult("ptq-resnet18", "fail", 4, 9, 3.5, "")
    with pytest.raises(KeyboardInterrupt):
        check.store(result)
    with Database() as db:
        assert [r["score"] for r in results(db, "ptq-resnet18")] == [4]
