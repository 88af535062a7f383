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

# name -> (the module whose `python -m` trains it, the cache files it leaves)
BASELINES = {
    "resnet18-digits": ("quizapp.grading.baseline", "resnet18-digits-*.json"),
    "gpt-stdlib": ("quizapp.grading.gpt_baseline", "gpt-stdlib-*.json"),
}
# About, on 2 cores (docs/PERFORMANCE.md): what the learner is told before training.
TRAIN_SECONDS = {"resnet18-digits": 40, "gpt-stdlib": 100}


def cache_folder() -> Path:
    return locations().cache_dir / "baseline"


def baseline_ready(name: str | None) -> bool:
    """True when `name` needs no training (or is None: the exercise needs no baseline)."""
    if name is None:
        return True
    _, pattern = BASELINES[name]
    return any(cache_folder().glob(pattern))


def train_command(name: str) -> list[str]:
    """The command that trains (or verifies) baseline `name`, printing one line per step."""
    module, _ = BASELINES[name]
    return [sys.executable, "-m", module]
