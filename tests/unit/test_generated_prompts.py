"""A generated card's own words and the numbers its generator draws agree, for every seed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.core.generators import generate
from quizapp.core.loader import load_decks
from quizapp.core.questions import instantiate
from quizapp.resources import shipped_path

seeds = st.integers(0, 2**31 - 1)


ACTIVATION_CARD = (
    load_decks([shipped_path("content")]).deck("int8-math").card("qparams-activation-drill")
)


@settings(max_examples=300)
@given(seed=seeds)
def test_the_usual_activation_case_is_never_all_negative(seed: int) -> None:
    card = ACTIVATION_CARD
    assert card.prompt.startswith("The usual activation case")
    question = instantiate("int8-math", card, seed)
    x_min, x_max = question.params["x_min"], question.params["x_max"]
    # An activation: post-ReLU (from 0) or of mixed sign, never a range below zero.
    assert x_min <= 0 < x_max
    assert f"[{x_min:g}, {x_max:g}]" in question.prompt


@given(seed=seeds, kind=st.sampled_from(["relu", "mixed", "negative"]))
def test_a_pinned_range_kind_is_the_range_drawn(seed: int, kind: str) -> None:
    params = generate("affine-qparams", {"range": kind}, seed).params
    x_min, x_max = params["x_min"], params["x_max"]
    if kind == "relu":
        assert x_min == 0 < x_max
    elif kind == "mixed":
        assert x_min < 0 < x_max
    else:
        assert x_min < 0 and x_max <= 0.5 and -x_min > x_max  # mostly negative


@given(seed=seeds)
def test_the_default_draw_is_unchanged(seed: int) -> None:
    """Naming the knob changed no seed's question: `--seed N` still gives what it gave."""
    assert generate("affine-qparams", {}, seed) == generate(
        "affine-qparams", {"range": ["mixed", "mixed", "relu", "negative"]}, seed
    )
