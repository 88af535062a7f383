"""The figures inside the system-design deck's free and choice cards, recomputed.

The numeric cards are recomputed in figures_system-design.py; the model answers of the
free cards quote the same arithmetic (weights, KV cache, QLoRA scales), and a card must not
say one thing in its prompt and another in its answer. Each figure is recomputed here from
the same torch-built shapes and checked against the text that states it, so editing a card
or the shapes breaks the test instead of leaving a stale number.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from quizapp.core.loader import load_deck_file  # noqa: E402
from quizapp.core.models import ChoiceCard, Deck  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

HERE = Path(__file__).resolve().parent
DECK = HERE.parents[1] / "content" / "system-design.yaml"


def _figures():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "quizapp_tests_system_design_figures", HERE / "figures_system-design.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


figures = _figures()


def deck() -> Deck:
    return load_deck_file(DECK)


def text(card_id: str) -> str:
    card = deck().card(card_id)
    fields = ("prompt", "answer", "explanation", "source")
    parts = [value for name in fields if isinstance(value := getattr(card, name, None), str)]
    parts += list(getattr(card, "options", None) or [])
    parts += list(getattr(card, "key_points", None) or [])
    return " ".join(parts).replace("\n", " ")


def states(card_id: str, figure: str) -> bool:
    """The card's text contains `figure` as a number (not as part of a longer one)."""
    return re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d])", text(card_id)) is not None


def test_llama31_70b_shapes_and_counts() -> None:
    counts = figures.llama31_70b_counts()
    assert figures.ffn_width(8192, 1.3, 4096) == 28672
    assert figures.head_dim() == 128
    per_layer = counts["decoder_linear"] // 80
    assert f"{per_layer / 1e6:.1f}" == "855.6" and states("llama31-70b-param-count", "855.6")
    assert states("llama31-70b-param-count", f"{counts['decoder_linear'] / 1e9:.2f}")
    assert states("llama31-70b-param-count", f"{counts['embedding_and_output'] / 2e9:.2f}")
    # The w4 prompt quotes the same three counts.
    assert states("llama31-70b-w4-checkpoint-gb", f"{counts['decoder_linear'] / 1e9:.2f}")
    assert states("llama31-70b-w4-checkpoint-gb", f"{counts['norms'] / 1e6:.1f}")


def test_weight_memory_figures_in_the_answers() -> None:
    counts = figures.llama31_70b_counts()
    bf16_gb = figures.total_params() * 2 / 1e9
    w4_gb = figures.w4_checkpoint_bytes() / 1e9
    assert states("serve-70b-two-24gb", f"{bf16_gb:.0f}")  # 141 GB in bf16
    assert states("serve-70b-two-24gb", f"{round(w4_gb, -1):.0f}")  # ~40 GB at 4 bits
    linear_gb = counts["decoder_linear"] * figures.group_bits(4, 128, 2) / 8 / 1e9
    head_gb = counts["embedding_and_output"] * 2 / 1e9
    assert states("llama31-70b-w4-checkpoint-gb", f"{linear_gb:.2f}")
    assert states("llama31-70b-w4-checkpoint-gb", f"{head_gb:.2f}")
    assert states("llama31-70b-w4-checkpoint-gb", f"{w4_gb * 1e9 / 2**30:.1f}")  # GiB
    share = head_gb / w4_gb * 100
    assert 9.5 < share < 10.5 and states("mixed-precision-llm-layers", "10%")
    assert states("mixed-precision-llm-layers", f"{head_gb:.1f}")
    # 16/8/4 bits of a round 70B, and what 4 bits leave of 48 GB.
    option = deck().card("mem-70b-three-widths")
    assert isinstance(option, ChoiceCard)
    right = option.options[min(option.correct)]
    assert all(f"{70e9 * b / 8 / 1e9:g}" in right for b in (16, 8, 4))
    assert f"about {48 - 70e9 * 4 / 8 / 1e9:g} GB" in right
    asym = 70e9 * figures.group_bits(4, 128, 2) / 8 / 1e9
    assert states("mem-70b-int4-g128", f"{asym:.1f}")


def test_kv_cache_figures_in_the_answers() -> None:
    per_token = figures.kv_bytes_per_token()
    assert per_token == 327_680 and states("kv-bytes-per-token-70b", "327,680")
    assert states("kv-bytes-per-token-70b", f"{per_token * 8192 / 2**30:g}")  # 2.5 GiB at 8k
    full_heads = torch.empty(2, 80, 64, 128, dtype=torch.bfloat16, device="meta").nbytes
    assert full_heads // per_token == 8 and states("kv-bytes-per-token-70b", "8x")
    fp8_tokens = 8 * 2**30 / figures.kv_bytes_per_token(torch.float8_e4m3fn)
    assert states("kv-tokens-in-budget", f"{fp8_tokens / 1000:.0f}k")
    for gib in (6, 8):  # "~6-8 GiB holds only ~20-26k tokens"
        assert states("serve-70b-two-24gb", f"{gib * 2**30 / per_token / 1000:.0f}k") or states(
            "serve-70b-two-24gb", f"{gib * 2**30 / per_token / 1000:.0f}"
        )
    long_context = per_token * 131_072 / 2**30
    assert states("long-context-serving", f"{long_context:.0f} GiB")
    per_gpu = figures.w4_checkpoint_bytes() / 2 / 1e9
    assert states("decode-bound-70b-tp2", f"{per_gpu:.2f}")
    assert states("decode-bound-70b-tp2", str(2 * 80))  # two all-reduces per layer


def test_qlora_figures_in_the_answers() -> None:
    before = figures.nf4_scale_bits(double_quant=False)
    after = figures.nf4_scale_bits(double_quant=True)
    assert before == 0.5 and states("qlora-double-quant-bits", "0.5")
    assert states("qlora-end-to-end", f"{after:.3f}")
    assert states("qlora-double-quant-bits", f"{before - after:.2f}")
    assert states("qlora-double-quant-bits", f"{65e9 * (before - after) / 8 / 1e9:.0f} GB")
    base_gb = 7e9 * (4 + after) / 8 / 1e9
    assert states("qlora-end-to-end", f"{base_gb:.1f}")
    assert states("qlora-7b-base-gb", f"{7e9 * 2 / 1e9:.0f} GB")


def test_fp8_hardware_claims_match_torchao() -> None:
    quant_api = pytest.importorskip("torchao.quantization.quant_api")
    float8_config = pytest.importorskip("torchao.float8.config")
    source = inspect.getsource(quant_api._float8_dynamic_activation_float8_weight_transform)
    assert "is_sm_at_least_89()" in source and "is_MI300()" in source
    assert "is_sm_at_least_89() or is_MI300() or is_MI350()" in text("gptq-awq-fp8-by-gpu")
    type_config = inspect.getsource(float8_config.Float8TypeConfig)
    assert "float8_e4m3fnuz" in type_config and "is_MI300()" in type_config
    assert torch.finfo(torch.float8_e4m3fnuz).max == 240 and states("fp8-capable-gpus", "240")
    fp8_gpus = deck().card("fp8-capable-gpus")
    assert isinstance(fp8_gpus, ChoiceCard)
    chosen = " ".join(fp8_gpus.options[i] for i in fp8_gpus.correct)
    assert "8.0" not in chosen and "7.0" not in chosen  # Ampere and Volta: no FP8


def test_detector_frame_budget() -> None:
    assert states("detector-phone-30fps", f"{1000 / 30:.0f} ms")
    assert states("detector-phone-30fps", f"{1000 / 30:.1f}")
