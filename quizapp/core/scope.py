"""Which cards a `--deck` / `--tag` choice means, shared by the Anki export and the mocks.

The rules: the named decks (every deck when none is named), in the order named, each once;
of their cards, those carrying any of the named tags (every card when none is named). A name
that matches nothing is a `ScopeError`, never a silent empty selection; its message names
the deck or tag and suggests the close names, or lists the known ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from quizapp.core.models import Card, Deck


class ScopeError(ValueError):
    """A deck or tag that names nothing in the library (the message says which)."""


def select_cards(
    decks: Sequence[Deck], deck_ids: Sequence[str] = (), tags: Sequence[str] = ()
) -> list[tuple[str, Card]]:
    """(deck id, card) of every card in the scope, deck by deck, cards in file order."""
    if not decks:
        raise ScopeError("no decks are loaded (run `quizapp validate` to see why)")
    known = {deck.deck: deck for deck in decks}
    problems = [unknown_name("deck", d, list(known)) for d in deck_ids if d not in known]
    if problems:
        raise ScopeError("; ".join(problems))
    chosen = [known[d] for d in dict.fromkeys(deck_ids)] if deck_ids else list(decks)
    pool = [(deck.deck, card) for deck in chosen for card in deck.cards]
    if not tags:
        return pool
    present = sorted({tag for _, card in pool for tag in card.tags})
    where = "in the chosen decks" if deck_ids else "in any deck"
    problems = [
        unknown_name("tag", tag, present, f"no card has the tag {tag!r} {where}")
        for tag in tags
        if tag not in present
    ]
    if problems:
        raise ScopeError("; ".join(problems))
    wanted = set(tags)
    return [(deck_id, card) for deck_id, card in pool if wanted.intersection(card.tags)]


def unknown_name(kind: str, name: str, known: Sequence[str], saying: str | None = None) -> str:
    """The words for a name that matches nothing: `no deck 'x' (did you mean y?)`, or the
    known names when none is close."""
    close = difflib.get_close_matches(name, known, n=3)
    listed = ", ".join(sorted(known)) or "none"
    hint = f"did you mean {', '.join(close)}?" if close else f"{kind}s: {listed}"
    return f"{saying or f'no {kind} {name!r}'} ({hint})"
