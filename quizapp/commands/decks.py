from __future__ import annotations

import argparse

from quizapp.commands import print_json
from quizapp.library import load_library


def run(args: argparse.Namespace) -> int:
    result = load_library()
    rows = [
        {
            "deck": deck.deck,
            "title": deck.title,
            "description": deck.description,
            "cards": len(deck.cards),
            "hand_written": deck.hand_written,
            "generated": len(deck.cards) - deck.hand_written,
            "path": deck.path,
        }
        for deck in result.decks
    ]
    if args.json:
        print_json({"decks": rows, "errors": [str(e) for e in result.errors]})
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("deck", "title", "cards", "generated", "path", box=None, pad_edge=False)
    for row in rows:
        table.add_row(
            row["deck"], row["title"], str(row["cards"]), str(row["generated"]), row["path"]
        )
    console = Console()
    console.print(table)
    total = sum(r["cards"] for r in rows)
    console.print(f"{len(rows)} decks, {total} cards")
    if result.errors:
        console.print(
            f"[yellow]{len(result.errors)} deck errors; run `quizapp validate` to see them[/]"
        )
    return 0
