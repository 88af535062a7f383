"""The serving-stacks deck's computable claims outside its numeric answers, and its shape.

Numeric answers are recomputed in figures_serving-stacks.py; this file checks the figures that
flashcards, choices and explanations state along the way (GGUF block sizes, the int16 overflow
behind ONNX Runtime's reduce_range, the roofline ridge for 16-bit weights, PyTorch's x86
qconfig the ORT card contrasts with), each against torch, and the deck format rules the brief
sets (size, type mix, multi-answer choices, sources, key points).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections import Counter
from pathlib import Path

import pytest

from quizapp.core.loader import load_deck_file
from quizapp.core.models import ChoiceCard, Deck

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

HERE = Path(__file__).resolve().parent
CONTENT = HERE.parents[1] / "content"


@functools.cache
def deck() -> Deck:
    return load_deck_file(CONTENT / "serving-stacks.yaml")


@functools.cache
def figures():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "serving_stacks_figures", HERE / "figures_serving-stacks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def text(card_id: str) -> str:
    card = deck().card(card_id)
    parts = [card.prompt, str(getattr(card, "answer", "")), card.explanation or ""]
    parts += list(getattr(card, "options", None) or [])
    return " ".join(parts)


def mentions(card_id: str, figure: str) -> bool:
    """The figure appears in the card's text as written (spaces and line breaks normalised)."""
    return figure in re.sub(r"\s+", " ", text(card_id))


# --- deck shape ----------------------------------------------------------------------------------


def test_deck_has_enough_hand_written_cards_in_a_mixed_set_of_types() -> None:
    cards = deck().cards
    assert len(cards) >= 32
    kinds = Counter(card.type for card in cards)
    assert kinds["choice"] / len(cards) >= 0.22, kinds
    assert kinds["numeric"] / len(cards) >= 0.12, kinds
    assert kinds["free"] / len(cards) >= 0.12, kinds
    assert kinds["flashcard"] >= 1, kinds
    assert any(isinstance(c, ChoiceCard) and c.multiple for c in cards)


def test_every_card_explains_itself_and_names_a_source() -> None:
    for card in deck().cards:
        assert (card.explanation or "").strip(), card.id
        assert (card.source or "").strip(), card.id


def test_free_cards_have_three_to_five_key_points() -> None:
    for card in deck().cards:
        if card.type == "free":
            assert 3 <= len(card.key_points) <= 5, card.id


def test_numeric_cards_have_a_unit_and_a_recomputation() -> None:
    numeric = {f"serving-stacks/{c.id}" for c in deck().cards if c.type == "numeric"}
    assert numeric == set(figures().COMPUTED)
    assert all(c.unit for c in deck().cards if c.type == "numeric")


def test_card_ids_do_not_collide_with_other_decks() -> None:
    mine = {card.id for card in deck().cards}
    for path in CONTENT.glob("*.yaml"):
        if path.name == "serving-stacks.yaml":
            continue
        other = {card.id for card in load_deck_file(path).cards}
        assert not mine & other, (path.name, mine & other)


# --- GGUF block layouts ----------------------------------------------------------------------------


def test_q4_1_costs_five_bits_where_q4_0_costs_four_and_a_half() -> None:
    f = figures()
    q4_1_block = f.nbytes(32 // 2, torch.uint8) + 2 * f.nbytes(1, torch.float16)  # d and m
    assert f.bits_per_weight(f.q4_0_block_bytes(), 32) == 4.5
    assert f.bits_per_weight(q4_1_block, 32) == 5.0
    assert mentions("gguf-q4-0-bits", "5.0 bits")


def test_q8_0_is_eight_and_a_half_bits_six_percent_over_plain_int8() -> None:
    f = figures()
    assert f.bits_per_weight(f.q8_0_block_bytes(), 32) == 8.5
    overhead = f.q8_0_block_bytes() / f.nbytes(32, torch.int8) - 1
    assert round(overhead * 100) == 6
    assert mentions("gguf-q8-0-7b-size", "8.5 bits per weight")
    assert mentions("gguf-q8-0-7b-size", "6% more")


def test_q6_k_layout_matches_the_210_bytes_the_explanation_adds_up() -> None:
    assert figures().q6_k_block_bytes() == 210
    assert mentions("gguf-q6-k-bits", "210 bytes")


def test_a_q4_0_block_really_holds_thirty_two_four_bit_codes_and_one_fp16_scale() -> None:
    """Quantize one block the way the card describes (symmetric, 16 levels, FP16 scale), pack two
    codes per byte, and check the packed size and the reconstruction error bound."""
    x = torch.linspace(-1.0, 0.9, 32)
    scale = (x.abs().max() / 8).to(torch.float16)
    codes = (torch.round(x / scale.float()) + 8).clamp(0, 15).to(torch.uint8)
    packed = codes[0::2] | (codes[1::2] << 4)
    block_bytes = packed.numel() * packed.element_size() + scale.element_size()
    assert block_bytes == figures().q4_0_block_bytes() == 18
    unpacked = torch.stack([packed & 0xF, packed >> 4], dim=1).flatten()
    assert torch.equal(unpacked, codes)
    restored = (unpacked.float() - 8) * scale.float()
    assert (restored - x).abs().max() <= scale.float() / 2 + 1e-6


# --- ONNX Runtime reduce_range vs PyTorch's ---------------------------------------------------------


def test_seven_bit_weights_keep_the_vpmaddubsw_pair_sum_inside_int16() -> None:
    int16_max = torch.iinfo(torch.int16).max
    u8_max = torch.iinfo(torch.uint8).max
    full_weight = abs(torch.iinfo(torch.int8).min)  # 128
    seven_bit_weight = full_weight // 2  # 64: signed 7-bit range is -64..63
    assert 2 * u8_max * seven_bit_weight == 32640 <= int16_max
    assert 2 * u8_max * full_weight == 65280 > int16_max
    assert mentions("ort-reduce-range-is-weights", "2 x 255 x 64 = 32,640")
    assert mentions("ort-reduce-range-is-weights", "2 x 255 x 128 = 65,280")


def test_pytorch_x86_qconfig_reduces_activations_not_weights() -> None:
    from torch.ao.quantization import get_default_qconfig

    qconfig = get_default_qconfig("x86")
    activation, weight = qconfig.activation(), qconfig.weight()
    assert activation.reduce_range and (activation.quant_min, activation.quant_max) == (0, 127)
    assert not weight.reduce_range
    assert mentions("ort-reduce-range-is-weights", "(0..127)")


# --- rooflines, bytes and ratios stated in explanations -----------------------------------------------


def test_sixteen_bit_weights_reach_the_ridge_four_times_later() -> None:
    ridge = 400e12 / 2e12
    fp16_weight_bytes = torch.finfo(torch.float16).bits / 8
    fp16_ridge_tokens = ridge / (2 / fp16_weight_bytes)
    assert fp16_ridge_tokens == 200
    assert fp16_ridge_tokens / figures().w4a16_ridge_tokens(400e12, 2e12) == 4
    assert mentions("w4a16-ridge-batch", "ridge is at m = 200")


def test_weight_bytes_per_format_relative_to_fp16() -> None:
    fp16 = torch.finfo(torch.float16).bits
    assert torch.iinfo(torch.int8).bits / fp16 == 1 / 2  # "8-bit halves them"
    assert 4 / fp16 == 1 / 4  # "4-bit quarters them"
    assert mentions("int8-gpu-not-faster", "8-bit halves them, 4-bit quarters them")


def test_modelopt_batch_two_order_flips_by_the_same_factor() -> None:
    assert round(392.99 / 337.67, 2) == 1.16
    assert mentions("modelopt-fp8-awq-batch32-ratio", "392.99 vs FP8 337.67")


def test_bloom_int8_slowdown_is_about_a_quarter() -> None:
    assert round((286.56 / 230.38 - 1) * 100) == 24
    assert mentions("bnb-bloom-int8-slowdown", "about 24% slower")


def test_qlora_headline_is_consistent_with_four_bit_weights() -> None:
    """65B weights fit a 48 GB GPU at 4 bits (32.5 GB) but not at 16 bits (130 GB)."""
    params = 65e9
    assert params * 4 / 8 / 1e9 < 48 < params * torch.finfo(torch.bfloat16).bits / 8 / 1e9
    assert mentions("qlora-pieces", "65B model on a single 48 GB GPU")


def test_the_latency_definition_matches_the_numeric_card() -> None:
    f = figures()
    latency = f.e2e_latency_s(0.250, 0.020, 301)
    tpot = (latency - 0.250) / (301 - 1)
    assert tpot == pytest.approx(0.020)
    assert mentions("llm-e2e-latency", "(latency - TTFT) / (output tokens - 1)")


def test_tail_example_mean_and_median_hide_what_p99_shows() -> None:
    latencies = figures().tail_latencies_ms()
    assert latencies.numel() == 1000
    assert round(latencies.mean().item(), 1) == 45.4
    assert latencies.median().item() == 40.0
    assert torch.quantile(latencies, 0.99).item() == 400.0
    assert mentions("p99-tail-latency", "the mean is 45.4 ms and the median 40 ms")


def test_int4_packing_puts_the_first_element_in_the_low_nibble() -> None:
    codes = torch.tensor([1, 2, 3], dtype=torch.uint8)
    padded = torch.cat([codes, torch.zeros(1, dtype=torch.uint8)])
    packed = padded[0::2] | (padded[1::2] << 4)
    assert packed.tolist() == [0x21, 0x03]  # last byte: element in the low nibble, high nibble 0
    assert figures().int4_packed_bytes((3, 5)) == 8
    assert mentions("trt-int4-packed-bytes", "7 full bytes + 1 byte")


def test_an_8b_model_needs_16_gb_in_fp16_and_under_5_gb_in_q4_0() -> None:
    f = figures()
    fp16_gb = f.nbytes(1, torch.float16) * 8e9 / 1e9
    q4_0_gb = 8e9 / 32 * f.q4_0_block_bytes() / 1e9
    assert fp16_gb == 16
    assert q4_0_gb < 5
    assert mentions("pick-a-serving-stack", "FP16 (16 GB of weights)")
