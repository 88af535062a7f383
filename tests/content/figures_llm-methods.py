"""The numeric answers of the llm-methods deck, recomputed: with torch and torchao where they
can compute the figure (a Hadamard rotation, tensor sizes, torchao's NF4 storage), plain
arithmetic on the cited inputs otherwise. Merged into test_shipped_decks.COMPUTED.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

DECK = "llm-methods"


def normalized_hadamard(size: int) -> torch.Tensor:
    """Sylvester's construction, scaled to be orthogonal (the rotation QuaRot applies)."""
    matrix = torch.ones(1, 1, dtype=torch.float64)
    while matrix.shape[0] < size:
        matrix = torch.cat([torch.cat([matrix, matrix], 1), torch.cat([matrix, -matrix], 1)], 0)
    return matrix / math.sqrt(size)


def rotated_outlier_max() -> float:
    activation = torch.zeros(4096, dtype=torch.float64)
    activation[7] = 100.0
    return float((activation @ normalized_hadamard(4096)).abs().max())


def nf4_scale_bits_per_weight() -> float:
    """Bits per weight of torchao's NF4 scales (int8 block scales + bf16 factors), measured
    on a real NF4Tensor; the one global mean is left out, as the card says."""
    from torchao.quantization.quantize_.workflows.nf4.nf4_tensor import to_nf4

    weight = torch.randn(64, 4096, dtype=torch.bfloat16, generator=torch.Generator().manual_seed(0))
    nf4 = to_nf4(weight)
    scale_bytes = nf4.quantized_scalers.nbytes + nf4.quantization_factor.nbytes
    return scale_bytes * 8 / weight.numel()


def fp16_bytes(*shape: int) -> int:
    return torch.empty(*shape, dtype=torch.float16, device="meta").nbytes


COMPUTED: dict[str, Callable[[], float]] = {
    f"{DECK}/hadamard-spreads-outlier": rotated_outlier_max,
    # SpinQuant README, W4A4KV4 LLaMA-2 7B zero-shot: full precision 66.9, SpinQuant 64.0.
    f"{DECK}/spinquant-w4a4kv4-gap": lambda: 66.9 - 64.0,
    # AQLM: num_codebooks x nbits_per_codebook / in_group_size.
    f"{DECK}/aqlm-bits-2x8": lambda: 2 * 8 / 8,
    f"{DECK}/aqlm-codebook-size": lambda: fp16_bytes(2**16, 8) / 2**20,
    f"{DECK}/e8p-bits-per-weight": lambda: math.log2(2**16) / 8,
    # 2-bit codes plus an FP16 scale and an FP16 minimum per group of 32.
    f"{DECK}/kivi-bits-per-element": lambda: 2 + 8 * (fp16_bytes(1) + fp16_bytes(1)) / 32,
    # 2 FLOPs per weight over the bytes of one 4-bit weight.
    f"{DECK}/w4a16-arithmetic-intensity": lambda: 2 / (4 / 8),
    f"{DECK}/nf4-double-quant-overhead": nf4_scale_bits_per_weight,
    f"{DECK}/ternary-bits": lambda: math.log2(3),
    # Llama-2-7B: K and V x 32 layers x 4096 hidden x 4096 tokens, at 3 bits per element.
    f"{DECK}/kivi-cache-llama2": lambda: (
        torch.empty(2, 32, 4096, 4096, device="meta").numel() * 3 / 8 / 2**30
    ),
    f"{DECK}/qlora-65b-base-gb": lambda: 65e9 * (4 + nf4_scale_bits_per_weight()) / 8 / 1e9,
}
