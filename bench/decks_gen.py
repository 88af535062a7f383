"""Synthetic decks for the loading benchmark: realistic card mix, N cards over several files."""

from __future__ import annotations

from pathlib import Path

import yaml

CARDS_PER_FILE = 500


def card(i: int) -> dict:
    kind = ("flashcard", "choice", "numeric", "free", "generated")[i % 5]
    base = {
        "id": f"card-{i}",
        "type": kind,
        "prompt": f"Question {i}: why does static PTQ need a calibration step for layer {i}?",
        "explanation": "Activation ranges depend on the data; weights do not.",
        "tags": ["calibration", "ptq"],
        "difficulty": ("easy", "medium", "hard")[i % 3],
        "source": "PyTorch quantization docs",
    }
    if kind == "flashcard":
        base["answer"] = "To observe activation ranges with representative data."
    elif kind == "choice":
        base.update(
            options=["per-tensor affine", "per-channel symmetric", "per-tensor symmetric"], answer=1
        )
    elif kind == "numeric":
        base.update(answer=11.7, tolerance={"rel": 0.05}, unit="MB")
    elif kind == "free":
        base.update(
            answer="PTQ calibrates; QAT fine-tunes.",
            key_points=["no retraining", "fake quant", "STE"],
        )
    else:
        base = {
            "id": f"card-{i}",
            "type": "generated",
            "generator": "affine-qparams",
            "params": {"dtype": "quint8"},
        }
    return base


def write_decks(folder: Path, total_cards: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(0, total_cards, CARDS_PER_FILE):
        n = min(CARDS_PER_FILE, total_cards - start)
        path = folder / f"bench-{start // CARDS_PER_FILE:04d}.yaml"
        document = {
            "deck": f"bench-{start // CARDS_PER_FILE}",
            "title": f"Bench deck {start // CARDS_PER_FILE}",
            "cards": [card(start + i) for i in range(n)],
        }
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        paths.append(path)
    return paths
