from __future__ import annotations

import argparse
import random

from quizapp.commands import fail, make_console, print_json
from quizapp.core.questions import instantiate
from quizapp.library import load_library


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
        document = {
            "deck": deck_id,
            "card": card_id,
            "type": question.kind,
            "prompt": question.prompt,
            "answer": answer,
        }
        if question.kind == "generated":
            document.update(seed=seed, params=question.params, working=question.working)
        if question.options:
            document["options"] = list(question.options)
        if question.key_points:
            document["key_points"] = list(question.key_points)
        if question.fields and question.kind == "numeric":
            document["tolerance"] = question.fields[0].tolerance.model_dump(exclude_none=True)
        print_json(document)
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
