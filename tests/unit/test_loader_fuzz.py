"""Whatever a deck file holds, the loader answers with a deck or with its own error type."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.core.loader import DeckFileError, parse_deck
from quizapp.core.models import Deck

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_or_error(raw: str | bytes) -> Deck | DeckFileError:
    try:
        return parse_deck(raw, "fuzz.yaml")
    except DeckFileError as exc:
        assert exc.errors, "an error without a message"
        for error in exc.errors:
            assert str(error).startswith("fuzz.yaml")
            assert error.line is None or error.line >= 1
        return exc


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw: bytes) -> None:
    load_or_error(raw)


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text(text: str) -> None:
    load_or_error(text)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
card_keys = st.sampled_from(
    [
        "id",
        "type",
        "prompt",
        "answer",
        "options",
        "tolerance",
        "key_points",
        "generator",
        "params",
        "tags",
        "difficulty",
        "explanation",
        "unit",
    ]
)
cards = st.dictionaries(card_keys, values, max_size=8)
decks = st.fixed_dictionaries(
    {},
    optional={
        "deck": st.one_of(st.just("ok-deck"), values),
        "title": values,
        "description": values,
        "cards": st.lists(cards, max_size=5),
    },
)


@FUZZ
@given(decks)
def test_deck_shaped_documents(document: dict) -> None:
    load_or_error(yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(st.data())
def test_valid_structure_round_trips(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=6))
    document = {
        "deck": "fuzz",
        "title": data.draw(st.text(min_size=1, max_size=20).filter(str.strip)),
        "cards": [
            {
                "id": f"c{i}",
                "type": "choice",
                "prompt": "p",
                "options": ["a", "b", "c"],
                "answer": data.draw(st.integers(0, 2)),
            }
            for i in range(n)
        ],
    }
    result = load_or_error(yaml.safe_dump(document))
    assert isinstance(result, Deck)
    assert len(result.cards) == n


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(
        ["yes", "No", "~", "0x1F", "1_000", "1:20", "2026-11-28", ".inf", "1e3", "007"]
    ),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


@FUZZ
@given(yaml_values, st.sampled_from([None, True, False]))
def test_walks_with_and_without_marks_agree_with_pyyaml(value: object, flow: bool | None) -> None:
    """Both walks (without marks, and with them) give exactly what PyYAML's C safe loader gives."""
    from quizapp.core.deck_yaml import parse_yaml
    from quizapp.core.loader import _compose

    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    expected = yaml.load(text, Loader=yaml.CSafeLoader)
    assert parse_yaml(text) == expected
    assert _compose(text, "x.yaml")[0] == expected


@FUZZ
@given(st.text(alphabet="ab: -[]{},\n'\"#&*!1.", max_size=60))
def test_walk_without_marks_never_accepts_what_pyyaml_rejects(text: str) -> None:
    from quizapp.core.deck_yaml import YamlProblem, parse_yaml

    try:
        expected = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        expected = "error"
    try:
        got = parse_yaml(text)
    except (YamlProblem, yaml.YAMLError):
        return  # the marked path takes over and reports it
    assert expected != "error"
    assert got == expected
