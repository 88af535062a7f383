"""`quizapp decks [--json]`: the loaded decks with their card counts, and the deck errors.

`DecksDocument` is the `--json` contract (`quizapp schema decks` prints its JSON Schema)."""

from __future__ import annotations

import argparse

from pydantic import BaseModel, ConfigDict

from quizapp.commands import print_json
from quizapp.library import load_library


class DeckRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    deck: str
    title: str
    description: str
    cards: int
    hand_written: int
    generated: int
    path: str | None


class DecksDocument(BaseModel):
    """The `quizapp decks --json` document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decks: list[DeckRow]
    errors: list[str]  # each `file:line:col: message`


def run(args: argparse.Namespace) -> int:
    result = load_library()
    rows = [
        DeckRow(
            deck=deck.deck,
            title=deck.title,
            description=deck.description,
            cards=len(deck.cards),
            hand_written=deck.hand_written,
            generated=len(deck.cards) - deck.hand_written,
            path=deck.path,
        )
        for deck in result.decks
    ]
    if args.json:
        document = DecksDocument(decks=rows, errors=[str(e) for e in result.errors])
        print_json(document.model_dump(mode="json"))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table("deck", "title", "cards", "generated", "path", box=None, pad_edge=False)
    for row in rows:
        table.add_row(row.deck, row.title, str(row.cards), str(row.generated), row.path)
    console = Console()
    console.print(table)
    total = sum(r.cards for r in rows)
    console.print(f"{len(rows)} decks, {total} cards")
    if result.errors:
        console.print(
            f"[yellow]{len(result.errors)} deck errors; run `quizapp validate` to see them[/]"
        )
    return 0
