"""The `--deck`/`--tag` scope shared by the Anki export and the mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizapp.core.loader import load_decks
from quizapp.core.models import Deck
from quizapp.core.scope import ScopeError, select_cards

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mock"


@pytest.fixture(scope="module")
def decks() -> list[Deck]:
    result = load_decks([FIXTURES])
    assert result.ok, result.errors
    return result.decks


def test_no_choice_is_every_card_in_library_order(decks: list[Deck]) -> None:
    pool = select_cards(decks)
    assert pool == [(deck.deck, card) for deck in decks for card in deck.cards]


def test_decks_in_the_order_named_each_once(decks: list[Deck]) -> None:
    first, second = decks[0].deck, decks[1].deck
    pool = select_cards(decks, [second, first, second])
    assert [d for d, _ in pool] == [second] * len(decks[1].cards) + [first] * len(decks[0].cards)


def test_any_named_tag_selects_a_card(decks: list[Deck]) -> None:
    pool = select_cards(decks, tags=["size", "qat"])
    assert pool and all({"size", "qat"} & set(card.tags) for _, card in pool)
    every = select_cards(decks)
    assert len(pool) == sum(1 for _, card in every if {"size", "qat"} & set(card.tags))


def test_every_unknown_name_is_reported_with_a_hint(decks: list[Deck]) -> None:
    with pytest.raises(ScopeError) as caught:
        select_cards(decks, ["mock-mat", "zzz"])
    message = str(caught.value)
    assert "no deck 'mock-mat' (did you mean mock-math" in message
    assert "no deck 'zzz' (decks: mock-basics, mock-math)" in message
    with pytest.raises(ScopeError, match=r"no card has the tag 'sise' in any deck \(did you"):
        select_cards(decks, tags=["sise"])
    with pytest.raises(ScopeError, match="no decks are loaded"):
        select_cards([])
