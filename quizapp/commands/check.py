"""`quizapp check ID [--file F] [--json] [--timeout S] [--watch]`: grade a coding exercise.

Without --file it grades the learner's workspace copy (created from the starter on first
use). With --json stdout carries exactly the result object of `grading.results` (a contract); otherwise a report
is printed as grading goes: baseline training on a first run, then each check with the
figure it measured and its threshold. Exit code 0 only on a pass. Every result is stored.

With --watch it grades, then grades again after every save of the file (a save during a
grade stops that grade and starts over), printing a compact report each time, until ctrl+c:
the exit code is that of the last finished grade.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from quizapp.commands import fail, make_console, print_json
from quizapp.grading.catalogue import Exercise, UnknownExercise, load_catalogue
from quizapp.grading.results import CheckResult, GradeResult
from quizapp.grading.runner import Event, read_source, run_check
from quizapp.grading.watch import FileWatcher, watch_and_grade
from quizapp.storage.db import Database
from quizapp.storage.exercises import record_result
from quizapp.storage.workspace import ensure_workspace, workspace_file

SYMBOLS = {
    "pass": ("✓", "green"),
    "fail": ("✗", "red"),
    "error": ("!", "red"),
    "skip": ("-", "dim"),
    "warn": ("~", "yellow"),
}
COMPACT_OUTPUT_LINES = 12  # watch mode: the end of the learner's output
STATUS_STYLE = {
    "pass": "bold green",
    "fail": "bold red",
    "error": "bold red",
    "timeout": "bold red",
}


def run(args: argparse.Namespace) -> int:
    if args.watch and args.json:
        return fail("--watch prints a report after every save; it does not combine with --json", 2)
    try:
        exercise = load_catalogue().get(args.exercise)
    except UnknownExercise as exc:
        return fail(str(exc))
    if args.file:
        path = Path(args.file).expanduser()
        problem = read_source(path)
        if isinstance(problem, str):  # a folder, a pipe, a loop of links, a null byte ...
            if args.json:  # still one JSON object, as on every path
                print_json(unreadable(exercise, problem).to_json())
                return 1
            return fail(problem)
    else:
        existed = workspace_file(exercise).exists()
        path = ensure_workspace(exercise)
        if not existed:  # on stderr with --json: stdout is the result alone
            print(
                f"Created your copy of the starter: {path}",
                file=sys.stderr if args.json else sys.stdout,
            )
    if args.watch:
        return watch(exercise, path, timeout=args.timeout)
    result = grade(exercise, path, json_output=args.json, timeout=args.timeout)
    if not result.cancelled:
        store(result)
    if args.json:
        print_json(result.to_json())
    return 0 if result.passed else 1


def grade(
    exercise: Exercise, path: Path, *, json_output: bool, timeout: float | None
) -> GradeResult:
    """One grading run with its report."""
    if json_output:
        # stdout is the JSON alone; a first-run training still says what it is doing.
        notes = Console(stderr=True) if sys.stderr.isatty() else None
        report = Report(notes, checks=False) if notes else None
        return run_check(exercise.id, path, timeout=timeout, exercise=exercise, on_event=report)
    console = make_console()
    console.print(f"[bold]{escape(exercise.title)}[/] ({exercise.id})")
    console.print(f"  grading {escape(str(path))}", style="dim")
    report = Report(console)
    result = run_check(exercise.id, path, timeout=timeout, exercise=exercise, on_event=report)
    report.finish(result)
    return result


def watch(
    exercise: Exercise,
    path: Path,
    *,
    timeout: float | None,
    watcher: FileWatcher | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Grade `path` now and after every save until ctrl+c (or `stop`, for tests)."""
    console = make_console()
    watcher = watcher or FileWatcher(path)
    console.print(f"[bold]{escape(exercise.title)}[/] ({exercise.id}): watch mode")
    console.print(f"  grading {escape(str(path))} now and after every save", style="dim")
    last: list[GradeResult] = []

    def grade_once(cancel: threading.Event) -> tuple[GradeResult, Report]:
        report = Report(console, compact=True)
        result = run_check(
            exercise.id, path, timeout=timeout, exercise=exercise, on_event=report, cancel=cancel
        )
        return result, report

    def finished(outcome: tuple[GradeResult, Report]) -> None:
        result, report = outcome
        if result.cancelled:
            console.print("  (stopped: grading the saved file instead)", style="dim")
            return
        report.finish(result)
        store(result)
        last.append(result)
        console.print(f"Waiting for a save of {escape(path.name)} (ctrl+c stops) ...", style="dim")

    def saved(cancelling: bool) -> None:
        stamp = time.strftime("%H:%M:%S")
        what = f"{stamp} {escape(path.name)} saved" + (": stopping the grade" if cancelling else "")
        console.rule(what, style="dim", align="left")

    with contextlib.suppress(KeyboardInterrupt):  # ctrl+c is how watch mode ends
        watch_and_grade(watcher, grade_once, finished, on_save=saved, stop=stop)
    if not last:
        console.print("Stopped before a grade finished.")
        return 1
    result = last[-1]
    score = f"{result.score:g}/{result.max_score:g}" if result.max_score else "-"
    console.print(f"Stopped watching. Last grade: {result.status.upper()} {score}")
    return 0 if result.passed else 1


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def describe_checks(count: int, points: list[float]) -> str:
    """`13 checks (11 scored, 2 for information)`: the score is out of the scored ones."""
    unscored = sum(1 for p in points[:count] if not p)
    if not unscored:
        return plural(count, "check")
    return f"{plural(count, 'check')} ({count - unscored} scored, {unscored} for information)"


def unreadable(exercise: Exercise, problem: str) -> GradeResult:
    """The result for a file that cannot be graded at all (it is not stored: not an attempt)."""
    return GradeResult(
        exercise=exercise.id, status="error", score=0, max_score=0, duration_s=0.0, message=problem
    )


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """A ctrl+c during the block takes effect after it: the result is saved whole, and the
    interrupt is not lost (raised inside a pydantic serializer, such as the result's JSON
    number formatting, it came out as a serialization error, and watch mode went on
    waiting)."""
    if (
        threading.current_thread() is not threading.main_thread()  # where signals arrive
        or signal.getsignal(signal.SIGINT) is None  # a handler Python could not restore
    ):
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:  # a failed save too: the ctrl+c still stops
        signal.signal(signal.SIGINT, previous)
        if received:
            signal.raise_signal(signal.SIGINT)  # now, to the handler it was meant for


def store(result: GradeResult) -> None:
    try:
        with interrupts_deferred(), Database() as db:
            for notice in db.notices:
                print(f"quizapp: {notice}", file=sys.stderr)
            record_result(db, result.to_json())
    except Exception as exc:  # noqa: BLE001 - the grade was printed; say why it was not kept
        print(f"quizapp: the result could not be saved: {exc}", file=sys.stderr)


class Report:
    """Prints the runner's events as lines (called from the runner's reader thread)."""

    def __init__(self, console: Console, checks: bool = True, compact: bool = False) -> None:
        """`compact` (watch mode): a passed check's explanation and all but the end of the
        learner's output are left out."""
        self.console, self.show_checks, self.compact = console, checks, compact
        self.printed: set[int] = set()
        self.width = 30

    def __call__(self, event: Event) -> None:
        if event.kind == "progress":
            message = str(event.data.get("message") or "")
            if message:
                indent = "  " if event.data.get("step") is not None else ""
                self.console.print(f"{indent}{escape(message)}", style="dim" if indent else None)
        elif event.kind == "checks" and self.show_checks:
            names = event.data.get("names") or []
            self.width = max([len(str(n)) for n in names] + [self.width])
            points = event.data.get("max_scores") or []
            self.console.print(f"Running your code and {describe_checks(len(names), points)} ...")
        elif event.kind == "check_finished" and self.show_checks and event.check:
            self.printed.add(int(event.data.get("index", -1)))
            self.print_check(event.check)

    def print_check(self, check: CheckResult) -> None:
        symbol, style = SYMBOLS.get(check.status, ("?", ""))
        figure = "" if check.measured is None else str(check.measured)
        if check.threshold:
            figure += f"  (need {check.threshold})" if figure else f"(need {check.threshold})"
        name = check.name.ljust(self.width)
        info = "  [dim](information, no points)[/]" if check.max_score == 0 else ""
        self.console.print(f"  [{style}]{symbol}[/] {escape(name)}  {escape(figure)}{info}")
        if check.message and not (self.compact and check.status in ("pass", "skip")):
            for line in check.message.splitlines():
                self.console.print(
                    f"      {escape(line)}", style="dim" if check.status == "pass" else None
                )

    def finish(self, result: GradeResult) -> None:
        for index, check in enumerate(result.checks):
            if index not in self.printed:  # checks the checker never reached
                self.print_check(check)
        if result.output.strip():
            lines = result.output.rstrip("\n").splitlines()  # bounded by the runner
            shortened = result.output_truncated
            if self.compact and len(lines) > COMPACT_OUTPUT_LINES:
                lines, shortened = lines[-COMPACT_OUTPUT_LINES:], True
            self.console.print("Your code printed:" + (" (shortened)" if shortened else ""))
            for line in lines:
                self.console.print(f"  | {escape(line)}", style="dim")
        style = STATUS_STYLE.get(result.status, "bold")
        score = f"{result.score:g}/{result.max_score:g}" if result.max_score else "-"
        unscored = sum(1 for c in result.checks if c.max_score == 0)
        info = f"  ({plural(unscored, 'check')} for information, no points)" if unscored else ""
        self.console.print(
            f"[{style}]{result.status.upper()}[/]  score {score}  in {result.duration_s:.1f} s"
            + info
        )
        if result.status != "pass" and result.message:
            self.console.print(escape(result.message))
