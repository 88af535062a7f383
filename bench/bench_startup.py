"""Start-up: QuizApp to its first interactive screen vs a bare Textual app; `quizapp --help`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from bench.common import Figure, fresh_home, median_time


class BareApp(App[None]):
    """The baseline: a Textual app with the same kind of home screen and no work behind it."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Footer()


async def _time_to_interactive(make_app) -> float:
    start = time.perf_counter()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        elapsed = time.perf_counter() - start
        await pilot.press("ctrl+q")
    return elapsed


def _headless(make_app) -> float:
    return asyncio.run(_time_to_interactive(make_app))


def _quizapp() -> App:
    from quizapp.tui.app import QuizApp

    return QuizApp()


def run() -> list[Figure]:
    fresh_home()  # one home for every run: the database exists after the warm-up, as for a user
    ours = median_time(lambda: _headless(_quizapp), runs=7, warmup=2)
    bare = median_time(lambda: _headless(BareApp), runs=7, warmup=2)
    help_time = median_time(
        lambda: subprocess.run(
            [sys.executable, "-m", "quizapp", "--help"], capture_output=True, check=True
        ),
        runs=5,
    )
    python_time = median_time(
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), runs=5
    )
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, quizapp.cli, quizapp.tui.app; print('torch' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    torch_loaded = probe.stdout.strip() == "True"
    return [
        Figure(
            "startup",
            "QuizApp to first interactive screen (headless)",
            ours,
            "s",
            baseline=bare,
            baseline_name="bare Textual app, same widgets",
            goal="<= 1.3x",
        ),
        Figure(
            "startup",
            "process: quizapp --help",
            help_time,
            "s",
            baseline=python_time,
            baseline_name="python -c pass",
            note=f"torch imported by the TUI modules: {'YES' if torch_loaded else 'no'}",
        ),
    ]
