"""The deck loader: valid decks load; every kind of problem is reported at the right line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from quizapp.core.loader import DeckFileError, load_decks, parse_deck

GOOD = textwrap.dedent(
    """\
    deck: test-calibration
    title: Calibration
    description: Why and how activation ranges are observed.
    cards:
      - id: why-calibrate
        type: flashcard
        prompt: Why does static PTQ need a calibration step?
        answer: To observe activation ranges.
        tags: [calibration, ptq]
        difficulty: easy
      - id: default-weight-scheme
        type: choice
        prompt: Which scheme does the x86 default qconfig use for weights?
        options: [per-tensor affine, per-channel symmetric, per-tensor symmetric]
        answer: 1
      - id: select-all
        type: choice
        prompt: Which observers are per-tensor only?
        options: [MinMaxObserver, PerChannelMinMaxObserver, HistogramObserver]
        answer: [0, 2]
      - id: resnet18-int8-mb
        type: numeric
        prompt: About how many MB do ResNet-18's INT8 weights take?
        answer: 11.7
        tolerance: {rel: 0.05}
        unit: MB
      - id: explain-ptq-vs-qat
        type: free
        prompt: Explain PTQ vs QAT.
        answer: PTQ calibrates; QAT fine-tunes with fake quant.
        key_points: [no retraining vs fine-tuning, fake quant + STE]
      - id: qparams-drill
        type: generated
        generator: affine-qparams
        params: {dtype: [quint8, qint8]}
    """
)


def errors_of(text: str | bytes) -> list[tuple[int | None, int | None, str, str]]:
    with pytest.raises(DeckFileError) as info:
        parse_deck(text, "deck.yaml")
    return [(e.line, e.col, e.field, e.message) for e in info.value.errors]


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def test_valid_deck_loads_every_card_type() -> None:
    deck = parse_deck(GOOD, "deck.yaml")
    assert deck.deck == "test-calibration"
    assert [c.type for c in deck.cards] == [
        "flashcard",
        "choice",
        "choice",
        "numeric",
        "free",
        "generated",
    ]
    assert deck.card("select-all").correct == {0, 2}
    assert deck.card("select-all").multiple
    assert not deck.card("default-weight-scheme").multiple
    assert deck.card("resnet18-int8-mb").tolerance.rel == 0.05
    assert deck.path == "deck.yaml"
    assert deck.hand_written == 5


def test_misspelt_key_is_reported_at_its_line_with_a_suggestion() -> None:
    errors = errors_of(replace("    prompt: Explain", "    promt: Explain"))
    assert (29, 5, "cards[4].promt", "unknown key; did you mean 'prompt'?") in errors
    assert (27, 5, "cards[4].prompt", "required key is missing") in errors


def test_choice_index_out_of_range() -> None:
    errors = errors_of(replace("    answer: 1\n", "    answer: 3\n"))
    assert errors == [(15, 13, "cards[1].answer", "index 3 is out of range for 3 options")]


def test_choice_list_index_out_of_range() -> None:
    errors = errors_of(replace("answer: [0, 2]", "answer: [0, 5]"))
    assert errors == [(20, 13, "cards[2].answer", "index 5 is out of range for 3 options")]


def test_negative_tolerance() -> None:
    errors = errors_of(replace("{rel: 0.05}", "{rel: -0.05}"))
    assert errors == [(25, 22, "cards[3].tolerance.rel", "should be greater than or equal to 0")]


def test_wrong_type_and_bad_enum() -> None:
    errors = errors_of(
        replace("answer: 11.7", "answer: eleven").replace("difficulty: easy", "difficulty: trivial")
    )
    fields = {e[2]: e for e in errors}
    assert fields["cards[0].difficulty"][:2] == (10, 17)
    assert "'easy', 'medium' or 'hard'" in fields["cards[0].difficulty"][3]
    assert fields["cards[3].answer"][:2] == (24, 13)
    assert "valid number" in fields["cards[3].answer"][3]


def test_unknown_card_type() -> None:
    errors = errors_of(replace("type: flashcard", "type: flashcrd"))
    assert errors == [
        (
            6,
            11,
            "cards[0].type",
            "unknown card type; use one of flashcard, choice, numeric, free, generated",
        )
    ]


def test_unknown_generator_and_bad_params() -> None:
    errors = errors_of(
        replace(
            "generator: affine-qparams\n    params: {dtype: [quint8, qint8]}",
            "generator: affine-qparam",
        )
    )
    assert errors == [
        (
            34,
            16,
            "cards[5].generator",
            "unknown generator 'affine-qparam'; did you mean 'affine-qparams'?",
        )
    ]
    errors = errors_of(replace("{dtype: [quint8, qint8]}", "{dtype: int4, bits: 4}"))
    assert [(e[0], e[2]) for e in errors] == [
        (35, "cards[5].params.dtype"),
        (35, "cards[5].params.bits"),
    ]


def test_duplicate_card_id() -> None:
    errors = errors_of(replace("id: select-all", "id: why-calibrate"))
    assert errors == [(16, 9, "cards[2].id", "duplicate card id 'why-calibrate' (first at line 5)")]


def test_duplicate_mapping_key() -> None:
    errors = errors_of(replace("    unit: MB\n", "    unit: MB\n    unit: MiB\n"))
    assert errors == [(27, 5, "cards[3].unit", "duplicate key 'unit' (first at line 26)")]


def test_missing_fields_and_missing_type() -> None:
    errors = errors_of("deck: x\ncards:\n  - id: a\n    prompt: p\n")
    assert (1, 1, "title", "required key is missing") in errors
    assert (
        3,
        5,
        "cards[0]",
        "required key 'type' is missing (one of flashcard, choice, numeric, free, generated)",
    ) in errors


def test_broken_yaml() -> None:
    errors = errors_of("deck: x\ntitle: [unclosed\ncards: []\n")
    assert len(errors) == 1 and errors[0][0] == 3 and errors[0][3].startswith("YAML:")


def test_empty_file_and_non_mapping() -> None:
    assert errors_of("") == [(1, 1, "", "the file is empty")]
    assert errors_of("# only a comment\n") == [(1, 1, "", "the file is empty")]
    assert errors_of("- a\n- b\n")[0][3].startswith("the top level must be a mapping")
    assert errors_of("just text\n")[0][3].startswith("the top level must be a mapping")


def test_non_utf8_bytes_are_placed() -> None:
    errors = errors_of(b"deck: x\ntitle: caf\xe9\n")
    assert errors == [(2, 11, "", "not valid UTF-8 (byte 0xe9)")]


def test_aliases_are_refused() -> None:
    errors = errors_of("deck: x\ntitle: &t T\ndescription: *t\ncards: []\n")
    assert errors[0][3] == "YAML anchors and aliases are not supported in decks"


def test_bad_slugs() -> None:
    errors = errors_of(replace("deck: test-calibration", "deck: Calibration Deck"))
    assert errors[0][:3] == (1, 7, "deck") and "slug" in errors[0][3]


def test_duplicate_deck_ids_across_files_keep_the_first(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text("# copy\n" + GOOD)
    (tmp_path / "c.yml").write_text("deck: broken\n")
    result = load_decks([tmp_path])
    assert [d.deck for d in result.decks] == ["test-calibration"]
    messages = [str(e) for e in result.errors]
    assert (
        f"{tmp_path / 'b.yaml'}:2:7: deck: duplicate deck id 'test-calibration' (also in {tmp_path / 'a.yaml'})"
        in messages
    )
    assert any(m.startswith(f"{tmp_path / 'c.yml'}:") for m in messages)
    assert result.failed_files == sorted([str(tmp_path / "b.yaml"), str(tmp_path / "c.yml")])


def test_missing_source_is_an_error(tmp_path: Path) -> None:
    result = load_decks([tmp_path / "nope.yaml"])
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / 'nope.yaml'}: no such file or directory"
    ]
