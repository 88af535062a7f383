"""`quizapp export anki` of the shipped decks (goal: <= 2 s), beside genanki writing the same
number of plain two-field notes (the floor: the package format itself)."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from bench.common import Figure, median_time


def run() -> list[Figure]:
    import genanki

    from quizapp.cli import main
    from quizapp.core.anki_notes import select_notes
    from quizapp.library import load_library

    folder = Path(tempfile.mkdtemp(prefix="export-"))
    os.environ.setdefault("QUIZAPP_HOME", str(folder / "home"))
    out = folder / "quizapp.apkg"
    notes = len(select_notes(load_library().decks))

    def export() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["export", "anki", "--out", str(out)]) == 0

    def bare() -> None:
        model = genanki.Model(
            1,
            "bare",
            fields=[{"name": "Front"}, {"name": "Back"}],
            templates=[{"name": "Card", "qfmt": "{{Front}}", "afmt": "{{Back}}"}],
        )
        deck = genanki.Deck(2, "bare")
        for index in range(notes):
            deck.add_note(genanki.Note(model=model, fields=[f"front {index}", f"back {index}"]))
        genanki.Package(deck).write_to_file(str(folder / "bare.apkg"))

    ours = median_time(export, runs=5, warmup=1)
    baseline = median_time(bare, runs=5, warmup=1)
    return [
        Figure(
            "export",
            f"quizapp export anki, shipped decks ({notes} notes)",
            ours,
            "s",
            baseline=baseline,
            baseline_name="genanki writing as many plain notes",
            goal="<= 2 s",
        )
    ]
