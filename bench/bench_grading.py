"""Grading: `quizapp check ptq-resnet18` on the reference solution vs the same steps as a plain
script; first-run baseline training; and the INT8 model's own figures (size, speed, accuracy).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from bench.common import REPO, Figure, fresh_home, grade_solution

RUNS = 3


def _train_baseline() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "quizapp.grading.baseline"], check=True, capture_output=True
    )
    return time.perf_counter() - start


def _grade() -> dict:
    return grade_solution("ptq-resnet18")


def _plain(*flags: str) -> dict:
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "plain_ptq.py"), *flags],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run() -> list[Figure]:
    home = fresh_home()
    training_s = _train_baseline()  # first run: nothing cached yet
    os.environ["QUIZAPP_HOME"] = str(home)
    _grade()  # warm-up: page cache, .pyc files
    _plain()
    grade_times, plain_times = [], []
    for _ in range(RUNS):  # interleaved, so load from elsewhere hits both alike
        seconds, result = _timed(_grade)
        grade_times.append(seconds)
        seconds, _ = _timed(_plain)
        plain_times.append(seconds)
    model = _plain("--latency")
    grade_s, plain_s = statistics.median(grade_times), statistics.median(plain_times)
    ratio = model["int8_bytes"] / model["fp32_bytes"]
    drop = (model["fp32_accuracy"] - model["int8_accuracy"]) * 100
    return [
        Figure(
            "grading",
            "quizapp check ptq-resnet18 (reference solution, baseline cached)",
            grade_s,
            "s",
            baseline=plain_s,
            baseline_name="same steps as a plain script",
            goal="<= 1.3x",
        ),
        Figure("grading", "first-run baseline training (3 epochs, digits)", training_s, "s"),
        Figure(
            "model",
            "INT8 / FP32 state_dict size",
            ratio,
            "ratio",
            goal="<= 0.25",
            note=f"{model['int8_bytes'] / 1e6:.2f} MB vs {model['fp32_bytes'] / 1e6:.2f} MB",
        ),
        Figure(
            "model",
            "INT8 latency, batch 1",
            model["int8_ms_b1"],
            "ms",
            baseline=model["fp32_ms_b1"],
            baseline_name="FP32, same process",
            note=f"speedup {model['fp32_ms_b1'] / model['int8_ms_b1']:.2f}x, {model['threads']} threads, engine {model['engine']}",
        ),
        Figure(
            "model",
            "INT8 latency, batch 8",
            model["int8_ms_b8"],
            "ms",
            baseline=model["fp32_ms_b8"],
            baseline_name="FP32, same process",
            note=f"speedup {model['fp32_ms_b8'] / model['int8_ms_b8']:.2f}x, {model['threads']} threads",
        ),
        Figure(
            "model",
            "held-out accuracy drop (points)",
            drop,
            "pp",
            goal="<= 1.0",
            note=f"FP32 {model['fp32_accuracy'] * 100:.2f}%, INT8 {model['int8_accuracy'] * 100:.2f}%, "
            f"top-1 agreement {model['agreement'] * 100:.2f}%",
        ),
    ]
