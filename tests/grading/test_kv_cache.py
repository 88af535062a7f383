"""The grader's KV cache (quizapp.grading.kv_cache) on a GPT with random weights: its
full-sequence forward with K and V quantized is what token-by-token decoding through the
quantized cache computes; without a format it is the model's own forward; the format's
codes, scales and byte count are what the exercise's README says."""

from __future__ import annotations

import pytest
import torch

from quizapp.grading.gpt_baseline import GPT
from quizapp.grading.kv_cache import (
    KVCache,
    KVFormat,
    _step,
    dequantize_kv,
    format_bytes,
    forward_kv,
    generate,
    parse_format,
    quantize_kv,
)

FORMATS = [
    None,
    KVFormat("per-head", True),
    KVFormat("per-token", False),
    KVFormat("per-head", True, bits=4),
]


@pytest.fixture(scope="module")
def model() -> GPT:
    torch.manual_seed(0)
    return GPT(width=128, layers=2, context=32).eval()


def test_without_a_format_the_forward_is_the_models_own(model) -> None:
    ids = torch.randint(0, 256, (2, 32), generator=torch.Generator().manual_seed(1))
    logits, kv = forward_kv(model, ids, None)
    with torch.no_grad():
        expected = model(ids)
    assert torch.allclose(logits, expected, atol=1e-5)
    assert [tuple(k.shape) for k, _ in kv] == [(2, 2, 32, 64)] * 2


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.label if f else "fp32")
def test_full_sequence_quantization_equals_token_by_token_decoding(model, fmt) -> None:
    ids = torch.randint(0, 256, (2, 24), generator=torch.Generator().manual_seed(2))
    full, _ = forward_kv(model, ids, fmt)
    caches = [KVCache(fmt) for _ in model.blocks]
    stepped = torch.cat([_step(model, ids[:, i : i + 1], i, caches) for i in range(24)], dim=1)
    # Equal up to float rounding (a code may flip where x / s sits on a tie).
    assert (stepped - full).abs().max() <= 1e-2 * full.abs().max()


def test_generation_counts_the_cache_bytes_of_the_format(model) -> None:
    prompts = torch.randint(0, 256, (3, 8), generator=torch.Generator().manual_seed(3))
    fp32 = generate(model, prompts, 8, None)
    int8 = generate(model, prompts, 8, KVFormat("per-head", True))
    assert fp32.tokens.shape == (3, 8) and fp32.stored_bytes == fp32.fp32_bytes
    # The last token's K and V are never written: 8 + 7 positions, K and V, 2 layers.
    assert fp32.fp32_bytes == 4 * 3 * 2 * 15 * 64 * 2 * 2
    assert int8.stored_bytes / int8.fp32_bytes == pytest.approx(8.5 / 32)


def test_codes_and_scales_follow_the_formulas() -> None:
    x = torch.randn(2, 2, 5, 64, generator=torch.Generator().manual_seed(4))
    codes, scale, zero = quantize_kv(x, KVFormat("per-token", True))
    assert codes.dtype == torch.int8 and scale.shape == (2, 1, 5, 1)
    assert torch.allclose(scale, x.abs().amax(dim=(1, 3), keepdim=True) / 127)
    assert zero.abs().max() == 0 and codes.abs().max() == 127
    codes, scale, zero = quantize_kv(x, KVFormat("per-head", False))
    assert scale.shape == zero.shape == (2, 2, 5, 1)
    assert int(codes.min()) == -128 and int(codes.max()) == 127
    assert ((dequantize_kv(codes, scale, zero) - x).abs() <= scale / 2 + 1e-6).all()
    assert format_bytes(KVFormat("per-head", False), (2, 2, 5, 64)) == 1280 + 20 * 8
    # Given a scale, the codes are the format's for it: the same codes for its own scale,
    # clipped ones for a scale too small.
    again, _, _ = quantize_kv(x, KVFormat("per-head", False), scale)
    assert torch.equal(again, codes)
    small, _, _ = quantize_kv(x, KVFormat("per-head", False), scale / 4)
    assert (small == 127).sum() > (codes == 127).sum()


@pytest.mark.parametrize(
    ("declared", "says"),
    [
        ("per-head", "FORMAT is a str"),
        ({"granularity": "per-channel", "symmetric": True}, "not one of 'per-token'"),
        ({"granularity": "per-head", "symmetric": "yes"}, "not True or False"),
        ({"granularity": "per-head", "symmetric": True, "bits": 4}, "does not know: bits"),
    ],
)
def test_a_bad_format_is_refused_saying_why(declared, says) -> None:
    with pytest.raises(ValueError, match=says):
        parse_format(declared)
