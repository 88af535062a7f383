"""`quizapp validate [PATH ...]`: every deck error as `file:line:col: message`; exit 1 if any."""

from __future__ import annotations

import argparse

from quizapp.core.loader import load_decks
from quizapp.library import deck_sources


def run(args: argparse.Namespace) -> int:
    result = load_decks(args.paths) if args.paths else load_decks(deck_sources())
    for error in result.errors:
        print(error)
    cards = sum(len(d.cards) for d in result.decks)
    files = len(result.files)
    if result.errors:
        bad = len(result.failed_files)
        print(
            f"{len(result.errors)} error{'s' * (len(result.errors) != 1)} in {bad} "
            f"file{'s' * (bad != 1)}; {len(result.decks)} of {files} decks valid ({cards} cards)"
        )
        return 1
    print(f"all {len(result.decks)} decks valid ({cards} cards in {files} files)")
    return 0
