"""Shared helpers for the benchmarks: medians after warm-up, a fresh QUIZAPP_HOME, figures."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    """One measured figure, with the baseline it is compared with (same run, same machine)."""

    group: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    goal: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def median_time(fn: Callable[[], Any], *, runs: int = 5, warmup: int = 1) -> float:
    """Median wall time of `fn` in seconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def fresh_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="quizapp-bench-"))
    os.environ["QUIZAPP_HOME"] = str(home)
    os.environ.pop("QUIZAPP_DECKS", None)
    return home


def grade_solution(exercise_id: str) -> dict[str, Any]:
    """`quizapp check ID --json` on the exercise's reference solution (it must pass)."""
    solution = REPO / "exercises" / exercise_id / "solution.py"
    run = subprocess.run(
        [sys.executable, "-m", "quizapp", "check", exercise_id, "--file", str(solution), "--json"],
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(run.stdout)
    assert result["status"] == "pass", result["message"]
    return result
