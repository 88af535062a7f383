"""The Anki notes a deck becomes (`quizapp export anki`): which cards, and each note's HTML.

Plain computation: no file is written and genanki is not imported here (the command does
both). Card types map as a learner of Anki would expect: every note is front/back (one card);
a choice card shows its options and the back marks the right ones; a numeric card's back
gives the value with its unit and the tolerance the app accepts; a free card's back gives the
model answer and its lettered key points; a generated card becomes a few drawn instances,
each with its worked answer. Each note has a `key` (deck/card, and #N for a drawn instance)
from which the command derives a stable Anki id, so a re-export updates notes in Anki instead
of adding copies; the seeds of drawn instances come from the same key, so a re-export draws
the same numbers.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt

from quizapp.core.models import Card, Deck, Tolerance
from quizapp.core.questions import Question, instantiate, without_select_all
from quizapp.core.scope import ScopeError, select_cards
from quizapp.core.units import is_description, with_unit

GENERATED_DEFAULT = 3
GENERATED_MAX = 50


class ExportScopeError(ValueError):
    """The --deck / --tag / --generated choice names nothing to export (the message says why)."""


@dataclass(frozen=True)
class AnkiNote:
    deck: str  # the quizapp deck id; the Anki deck is `quizapp::<deck>`
    card: str
    instance: int | None  # generated cards: which drawn instance (0, 1, ...)
    front: str  # HTML
    back: str  # HTML
    explanation: str  # HTML, "" when the card has none
    source: str  # HTML, "" when the card has none
    tags: tuple[str, ...]

    @property
    def key(self) -> str:
        """Stable across exports: the Anki note id (guid) is derived from it."""
        base = f"{self.deck}/{self.card}"
        return base if self.instance is None else f"{base}#{self.instance + 1}"


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML in a deck is shown as text, as the app shows it; tables are on as in the app.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(text: str | None) -> str:
    """A card's Markdown as HTML (code blocks and tables included)."""
    return _markdown().render(text).strip() if text else ""


def _inline_html(text: str) -> str:
    html: str = _markdown().renderInline(text)
    return html


def instance_seed(deck: str, card: str, instance: int) -> int:
    """The seed of a generated card's drawn instance: the same for every export."""
    digest = hashlib.sha256(f"{deck}/{card}#{instance}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def tolerance_text(tolerance: Tolerance, unit: str | None) -> str:
    """What the app accepts around a number, in words: "within 1%", "within ±0.5 MB"."""
    parts = []
    if tolerance.abs is not None:
        amount = f"{tolerance.abs:g}"
        parts.append(f"±{amount if is_description(unit) else with_unit(amount, unit)}")
    if tolerance.rel is not None:
        parts.append(f"{tolerance.rel * 100:g}%")
    if len(parts) == 2:
        return f"within {parts[0]} or {parts[1]}, whichever is wider"
    return f"within {parts[0]}" if parts else "exactly"


def _choice_sides(question: Question) -> tuple[str, str]:
    if question.multiple:
        front = markdown_html(without_select_all(question.prompt))
        front += "\n<p><i>(select all that apply)</i></p>"
    else:
        front = markdown_html(question.prompt)
    options = "".join(f"<li>{_inline_html(option)}</li>" for option in question.options)
    front += f'\n<ol class="options">{options}</ol>'
    marked = "".join(
        f'<li class="right"><b>✓ {_inline_html(option)}</b></li>'
        if index in question.correct_choices
        else f'<li class="wrong">{_inline_html(option)}</li>'
        for index, option in enumerate(question.options)
    )
    return front, f'<ol class="options">{marked}</ol>'


def _sides(question: Question) -> tuple[str, str]:
    """Front and back HTML of a card made askable (the answer as the app shows it)."""
    if question.kind == "choice":
        return _choice_sides(question)
    front, back = markdown_html(question.prompt), markdown_html(question.answer_text)
    if question.kind == "numeric":
        (answer,) = question.fields
        accepted = tolerance_text(answer.tolerance, answer.unit)
        back = (
            f"<p><b>{html.escape(question.answer_text)}</b></p>\n"
            f"<p><i>accepted {html.escape(accepted)}</i></p>"
        )
    elif question.kind == "free":
        points = "".join(f"<li>{_inline_html(point)}</li>" for point in question.key_points)
        back += f'\n<p><b>Key points</b></p>\n<ol type="a">{points}</ol>'
    elif question.working:  # a generated card: its worked answer
        back += "\n" + markdown_html(question.working)
    return front, back


def notes_for_card(deck_id: str, card: Card, generated: int = GENERATED_DEFAULT) -> list[AnkiNote]:
    """The notes of one card: one, or `generated` drawn instances of a generated card."""
    instances: list[int | None] = list(range(generated)) if card.type == "generated" else [None]
    notes = []
    for instance in instances:
        seed = None if instance is None else instance_seed(deck_id, card.id, instance)
        front, back = _sides(instantiate(deck_id, card, seed))
        notes.append(
            AnkiNote(
                deck=deck_id,
                card=card.id,
                instance=instance,
                front=front,
                back=back,
                explanation=markdown_html(card.explanation),
                source=markdown_html(card.source),
                tags=tuple(card.tags),
            )
        )
    return notes


def select_notes(
    decks: Sequence[Deck],
    deck_ids: Sequence[str] = (),
    tags: Sequence[str] = (),
    generated: int = GENERATED_DEFAULT,
) -> list[AnkiNote]:
    """The notes to export: the cards of the `--deck`/`--tag` scope (core.scope). A name that
    matches nothing is an ExportScopeError, never a silent empty export."""
    if not 0 <= generated <= GENERATED_MAX:
        raise ExportScopeError(f"--generated must be 0 to {GENERATED_MAX}, not {generated}")
    try:
        cards = select_cards(decks, deck_ids, tags)
    except ScopeError as exc:
        raise ExportScopeError(str(exc)) from None
    notes: list[AnkiNote] = []
    for deck_id, card in cards:
        notes.extend(notes_for_card(deck_id, card, generated))
    if not notes:
        raise ExportScopeError(
            "nothing to export: the chosen cards are all generated and --generated is 0"
        )
    return notes
