"""Every numeric answer of the low-bit-formats deck, recomputed (torchao where it can).

Merged into test_shipped_decks.COMPUTED. Storage figures come from the bytes torchao's own
quantizers produce; GGUF figures from llama.cpp's block layouts and its `use_more_bits`
rule (llama.cpp is C++, so those are restated from its source, not run).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

DECK = "low-bit-formats"


def mxfp4_bits_per_element() -> float:
    from torchao.prototype.mx_formats.mx_tensor import to_mx

    block = torch.randn(1, 32)
    scale, packed = to_mx(block, torch.float4_e2m1fn_x2, 32)
    stored_bytes = scale.view(torch.uint8).numel() + packed.view(torch.uint8).numel()
    return stored_bytes * 8 / block.numel()


def nvfp4_bits_per_element() -> float:
    from torchao.prototype.mx_formats.nvfp4_tensor import nvfp4_quantize

    block = torch.randn(1, 16)
    scales, packed = nvfp4_quantize(block, block_size=16)
    assert scales.dtype == torch.float8_e4m3fn
    return (scales.numel() * scales.element_size() + packed.numel()) * 8 / block.numel()


def nvfp4_per_tensor_scale() -> float:
    from torchao.prototype.mx_formats.nvfp4_tensor import per_tensor_amax_to_scale

    return per_tensor_amax_to_scale(torch.tensor(1344.0)).item()


def nf4_double_quant_saving() -> float:
    """Absmax bits per weight: one FP32 per 64 weights, vs NF4Tensor's double-quantized ones."""
    from torchao.quantization import NF4Tensor

    blocks, per_group = 256, 256
    weight = torch.randn(64 * blocks * 2)
    nf4 = NF4Tensor.from_tensor(weight, 64, per_group)
    fp32_absmax_bits = nf4.n_blocks * 32 / weight.numel()
    stored = nf4.quantized_scalers.nbytes + nf4.quantization_factor.nbytes
    double_quantized_bits = stored * 8 / weight.numel()
    return fp32_absmax_bits - double_quantized_bits


def gguf_bits(block_bytes: int) -> float:
    return block_bytes * 8 / 256  # QK_K = 256 weights per super-block


def use_more_bits(i_layer: int, n_layers: int) -> bool:
    """llama.cpp src/llama-quant.cpp, with C's integer division."""
    return (
        i_layer < n_layers // 8
        or i_layer >= 7 * n_layers // 8
        or (i_layer - n_layers // 8) % 3 == 2
    )


def fp4_over_int4_mse(block: int, samples: int = 2**18) -> float:
    """MSE of FP4 E2M1 over MSE of INT4 (-7..7), absmax scaling per block, Student-t(3)."""
    from torchao.prototype.mx_formats.kernels import f4_unpacked_to_f32, f32_to_f4_unpacked

    generator = torch.Generator().manual_seed(0)
    normal = torch.randn(samples, generator=generator)
    chi2 = torch.randn(samples, 3, generator=generator).pow(2).sum(-1)
    x = (normal / (chi2 / 3).sqrt()).reshape(-1, block)
    amax = x.abs().amax(-1, keepdim=True)
    int4 = (x / (amax / 7)).round().clamp(-7, 7) * (amax / 7)
    fp4 = f4_unpacked_to_f32(f32_to_f4_unpacked(x / (amax / 6))) * (amax / 6)
    return ((x - fp4) ** 2).mean().item() / ((x - int4) ** 2).mean().item()


COMPUTED: dict[str, Callable[[], float]] = {
    f"{DECK}/mxfp4-bits-per-element": mxfp4_bits_per_element,
    f"{DECK}/nvfp4-bits-per-element": nvfp4_bits_per_element,
    f"{DECK}/nvfp4-per-tensor-scale": nvfp4_per_tensor_scale,
    f"{DECK}/nf4-double-quant-saving": nf4_double_quant_saving,
    # block_q4_K: fp16 d + fp16 dmin + 12 bytes of 6-bit scales/mins + 128 bytes of quants
    f"{DECK}/gguf-q4k-bits": lambda: gguf_bits(2 * 2 + 12 + 256 // 2),
    # block_q6_K: 128 bytes low 4 bits + 64 bytes high 2 bits + 16 int8 scales + fp16 d
    f"{DECK}/gguf-q6k-bits": lambda: gguf_bits(256 // 2 + 256 // 4 + 256 // 16 + 2),
    f"{DECK}/gguf-q4km-ffn-down-count": lambda: sum(use_more_bits(i, 32) for i in range(32)),
    f"{DECK}/fp4-vs-int4-heavy-tails": lambda: fp4_over_int4_mse(32),
}

# A sampled error ratio: the card states it to two digits, within its tolerance.
MEASURED = {f"{DECK}/fp4-vs-int4-heavy-tails"}
