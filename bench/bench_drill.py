"""Drill: key press to next card on the drill screen, and the TUI process's peak memory.

Both run the real app headless (Textual's run_test) on a synthetic deck of 60 flashcards.
Memory is measured in a child process (ru_maxrss), against a bare Textual app.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from bench.common import REPO, Figure, fresh_home

CARDS = 60


def write_deck(folder: Path) -> Path:
    cards = [
        {
            "id": f"c{i}",
            "type": "flashcard",
            "prompt": f"Question {i}: why does static PTQ need **calibration**?\n\n```python\nprepare(model)\n```",
            "answer": "To observe activation ranges on representative data before `convert`.",
            "explanation": "Weights are known; activation ranges depend on the data.",
        }
        for i in range(CARDS)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench-drill.yaml"
    path.write_text(yaml.safe_dump({"deck": "bench-drill", "title": "Bench", "cards": cards}))
    return folder


class PressApp(App[None]):
    """The baseline for a key press: a bare Textual app whose key does nothing."""

    BINDINGS = [Binding("space", "nothing", "Nothing")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("A key press that does nothing.")
        yield Footer()

    def action_nothing(self) -> None:
        pass


async def _bare_presses(presses: int) -> list[float]:
    app = PressApp()
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(presses):
            t0 = time.perf_counter()
            await pilot.press("space")
            times.append(time.perf_counter() - t0)
        await pilot.press("ctrl+q")
    return times


async def _drill_latencies(cards: int) -> tuple[list[float], list[float]]:
    from quizapp.core.loader import load_decks
    from quizapp.tui.app import QuizApp
    from quizapp.tui.start import StartDrill

    library = load_decks([write_deck(Path(tempfile.mkdtemp()))])
    start = StartDrill(deck="bench-drill", autostart=True, new_limit=cards)
    app = QuizApp(start=start, library=library)
    reveal, rate = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(cards - 1):
            screen = app.screen
            shown = screen.current
            t0 = time.perf_counter()
            await pilot.press("space")
            assert screen.phase == "answered"
            t1 = time.perf_counter()
            await pilot.press("3")
            assert screen.current is not shown
            t2 = time.perf_counter()
            reveal.append(t1 - t0)
            rate.append(t2 - t1)
        await pilot.press("ctrl+q")
    return reveal, rate


RSS_SCRIPT = """
import asyncio, json, sys
sys.path.insert(0, {repo!r})
from bench.bench_drill import _drill_latencies
from bench.bench_startup import BareApp

async def bare():
    app = BareApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")

if sys.argv[1] == "drill":
    asyncio.run(_drill_latencies(30))
else:
    asyncio.run(bare())
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork + exec.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"maxrss_kib": int(hwm.split()[1]), "torch": "torch" in sys.modules}}))
"""


def _peak_rss(kind: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT.format(repo=str(REPO)), kind],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def run() -> list[Figure]:
    fresh_home()
    asyncio.run(_drill_latencies(6))  # warm-up: imports, first paint
    fresh_home()
    reveal, rate = asyncio.run(_drill_latencies(CARDS))
    asyncio.run(_bare_presses(3))  # warm-up
    bare = statistics.median(asyncio.run(_bare_presses(CARDS - 1)))
    bare_name = "bare Textual app, a key bound to nothing (Pilot press)"
    drill_rss, bare_rss = _peak_rss("drill"), _peak_rss("bare")
    return [
        Figure(
            "key latency",
            "space -> answer shown (drill screen, headless)",
            statistics.median(reveal),
            "s",
            baseline=bare,
            baseline_name=bare_name,
            note=f"p90 {sorted(reveal)[int(len(reveal) * 0.9)] * 1000:.0f} ms over {len(reveal)} cards",
        ),
        Figure(
            "key latency",
            "rating key -> review stored, next card shown",
            statistics.median(rate),
            "s",
            baseline=bare,
            baseline_name=bare_name,
            note=f"p90 {sorted(rate)[int(len(rate) * 0.9)] * 1000:.0f} ms; includes the SQLite commit",
        ),
        Figure(
            "memory",
            "peak RSS of the TUI process during a 30-card drill",
            drill_rss["maxrss_kib"] / 1024,
            "MiB",
            baseline=bare_rss["maxrss_kib"] / 1024,
            baseline_name="bare Textual app",
            note=f"torch imported: {'YES' if drill_rss['torch'] else 'no'}",
        ),
    ]
