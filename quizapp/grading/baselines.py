"""Which cached baselines exist, without torch: the parent's view of `grading.baseline`.

A baseline is trained by the grader's child the first time an exercise needs it (about a
minute on 2 cores). Screens that must not let that minute land on a clock (the interview
loop's coding round) ask here first, and train it beforehand with `train_command`.
The child verifies the cache's checksum on every grade; this only says whether one is there.
"""

from __future__ import annotations

import sys
from pathlib import Path

from quizapp.storage.locations import locations

RESNET = "resnet18-digits"
GPT = "gpt-stdlib"
# name -> the module whose `python -m` trains it; its cache files are `<name>-<key>.pt/.json`.
BASELINES = {RESNET: "quizapp.grading.baseline", GPT: "quizapp.grading.gpt_baseline"}
# About, on 2 cores (docs/PERFORMANCE.md): what the learner is told before training.
TRAIN_SECONDS = {RESNET: 40, GPT: 100}


def cache_folder() -> Path:
    return locations().cache_dir / "baseline"


def cache_stem(name: str, key: str) -> str:
    """The cache files' name without suffix: `<name>-<recipe key>`."""
    return f"{name}-{key}"


def sidecars(name: str, folder: Path | None = None) -> list[Path]:
    """Every cached sidecar of baseline `name` (any recipe key), sorted."""
    return sorted((folder or cache_folder()).glob(cache_stem(name, "*") + ".json"))


def baseline_ready(name: str | None) -> bool:
    """True when `name` needs no training (or is None: the exercise needs no baseline)."""
    return name is None or bool(sidecars(name))


def train_command(name: str) -> list[str]:
    """The command that trains (or verifies) baseline `name`, printing one line per step."""
    return [sys.executable, "-m", BASELINES[name]]
