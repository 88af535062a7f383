"""`quizapp drill [--deck ID] [--tag T] [--cram] [--limit N]`: the app, straight into a session."""

from __future__ import annotations

import argparse

from quizapp.commands import fail
from quizapp.core.due_cards import select_cards
from quizapp.core.loader import LoadResult
from quizapp.library import load_library


def scope_error(library: LoadResult, deck: str | None, tag: str | None) -> str | None:
    """A message when the deck or tag names nothing to drill, else None."""
    if deck is not None and deck not in {d.deck for d in library.decks}:
        known = ", ".join(d.deck for d in library.decks) or "none loaded"
        return f"no deck {deck!r} (decks: {known})"
    if tag is not None and not select_cards(library.decks, deck, tag):
        where = f"deck {deck!r}" if deck is not None else "any deck"
        return f"no card in {where} has the tag {tag!r}"
    return None


def run(args: argparse.Namespace) -> int:
    library = load_library()
    problem = scope_error(library, args.deck, args.tag)
    if problem:
        return fail(problem)
    from quizapp.tui.app import QuizApp
    from quizapp.tui.start import StartDrill

    start = StartDrill(
        deck=args.deck, tag=args.tag, cram=args.cram, new_limit=args.limit, autostart=True
    )
    QuizApp(start=start).run()
    return 0
