"""Deck loading: load + validate 1k / 10k / 100k cards vs a bare PyYAML parse of the same files."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from bench.common import Figure, median_time
from bench.decks_gen import write_decks
from quizapp.core.loader import load_decks

SIZES = (1_000, 10_000, 100_000)


def run() -> list[Figure]:
    figures = []
    for size in SIZES:
        folder = Path(tempfile.mkdtemp(prefix=f"decks-{size}-"))
        paths = write_decks(folder, size)
        runs, warmup = (5, 1) if size <= 10_000 else (1, 0)

        def load(folder: Path = folder, size: int = size) -> None:
            result = load_decks([folder])
            assert not result.errors and sum(len(d.cards) for d in result.decks) == size

        def bare(paths: list[Path] = paths) -> None:
            for path in paths:
                yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)

        ours = median_time(load, runs=runs, warmup=warmup)
        baseline = median_time(bare, runs=runs, warmup=warmup)
        figures.append(
            Figure(
                "deck loading",
                f"load + validate {size:,} cards",
                ours,
                "s",
                baseline=baseline,
                baseline_name="bare yaml.load (CSafeLoader), same files",
                goal="10k cards < 1 s" if size == 10_000 else "",
            )
        )
    return figures
