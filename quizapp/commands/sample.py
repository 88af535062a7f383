"""`quizapp sample DECK/CARD [--seed N] [--json]`: one card made askable, with its answer.

`SampleDocument` is the `--json` contract (`quizapp schema sample` prints its JSON Schema):
the keys after `answer` appear only for the kinds of card that have them."""

from __future__ import annotations

import argparse
import random
from typing import Any

from pydantic import BaseModel, ConfigDict

from quizapp.commands import fail, make_console, print_json
from quizapp.core.questions import instantiate
from quizapp.library import load_library


class SampleDocument(BaseModel):
    """The `quizapp sample --json` document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deck: str
    card: str
    type: str  # flashcard | choice | numeric | free | generated
    prompt: str
    # choice: the right option's index (a list when several are right); numeric: the value;
    # generated: each field's value; flashcard and free: the answer's text.
    answer: int | float | str | list[int] | dict[str, int | float]
    seed: int | None = None  # generated cards
    params: dict[str, Any] | None = None  # generated cards
    working: str | None = None  # generated cards
    options: list[str] | None = None  # choice cards
    key_points: list[str] | None = None  # free cards
    tolerance: dict[str, float] | None = None  # numeric cards: rel and/or abs


def run(args: argparse.Namespace) -> int:
    deck_id, sep, card_id = args.card.partition("/")
    if not sep or not deck_id or not card_id:
        return fail(f"expected DECK/CARD, e.g. int8-math/qparams-drill, not {args.card!r}")
    result = load_library()
    try:
        deck = result.deck(deck_id)
    except KeyError:
        known = ", ".join(d.deck for d in result.decks)
        return fail(f"no deck {deck_id!r} (decks: {known})")
    try:
        card = deck.card(card_id)
    except KeyError:
        cards = ", ".join(c.id for c in deck.cards)
        return fail(f"deck {deck_id!r} has no card {card_id!r} (cards: {cards})")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    question = instantiate(deck_id, card, seed)

    if question.kind == "choice":
        answer: object = (
            list(question.correct_choices) if question.multiple else question.correct_choices[0]
        )
    elif question.kind == "numeric":
        answer = question.fields[0].value
    elif question.kind == "generated":
        answer = {f.name: (int(f.value) if f.integer else f.value) for f in question.fields}
    else:
        answer = question.answer_text

    if args.json:
        extra: dict[str, Any] = {}
        if question.kind == "generated":
            extra.update(seed=seed, params=question.params, working=question.working)
        if question.options:
            extra["options"] = list(question.options)
        if question.key_points:
            extra["key_points"] = list(question.key_points)
        if question.fields and question.kind == "numeric":
            extra["tolerance"] = question.fields[0].tolerance.model_dump(exclude_none=True)
        document = SampleDocument(
            deck=deck_id,
            card=card_id,
            type=question.kind,
            prompt=question.prompt,
            answer=answer,  # one of the shapes above, by kind
            **extra,
        )
        # Only the keys this kind of card has (a generated card's `working` may be null).
        print_json(document.model_dump(mode="json", exclude_unset=True))
        return 0

    from rich.markdown import Markdown

    console = make_console()
    console.print(Markdown(question.prompt))
    for i, option in enumerate(question.options, 1):
        console.print(f"  {i}. {option}")
    console.rule("answer")
    console.print(Markdown(question.answer_text))
    if question.working:
        console.print(Markdown(question.working))
    for point in question.key_points:
        console.print(f"  • {point}")
    if question.kind == "generated":
        console.print(f"[dim]seed {seed}: quizapp sample {args.card} --seed {seed}[/]")
    return 0
