"""The hardware-kernels deck's numeric answers, recomputed (merged into test_shipped_decks).

Integer arithmetic runs in torch integer tensors, bytes come from meta tensors of the stored
dtypes or from the layout torchao really builds, FLOPs from torch's FLOP counter; ratios of
datasheet figures check the card's arithmetic on the figures it cites.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode


def meta_bytes(count: int, dtype: torch.dtype) -> int:
    return torch.empty(int(count), dtype=dtype, device="meta").nbytes


def matmul_flops(m: int, k: int, n: int) -> int:
    with torch.device("meta"):
        a, b = torch.empty(m, k), torch.empty(k, n)
    counter = FlopCounterMode(display=False)
    with counter:
        torch.mm(a, b)
    return counter.get_total_flops()


def s8s8_compensation() -> int:
    """(X + 128)·W − X·W for int8 X and W, in int32 as the kernel accumulates."""
    x = torch.tensor([-128, 5, 127, -1], dtype=torch.int32)
    w = torch.tensor([3, -5, 7, 2], dtype=torch.int32)
    return int(((x + 128) * w).sum() - (x * w).sum())


def vpmaddubsw_accumulator() -> int:
    """Pairs of u8·s8 products saturated to int16 (VPMADDUBSW), then summed in int32."""
    a = torch.tensor([255, 255, 0, 0], dtype=torch.int32)
    b = torch.tensor([127, 127, 0, 0], dtype=torch.int32)
    pairs = (a * b).view(2, 2).sum(dim=1)
    int16 = torch.iinfo(torch.int16)
    return int(pairs.clamp(int16.min, int16.max).sum())


def requantized_output() -> int:
    import warnings

    real = torch.tensor([12345 * 0.02 * 0.005])
    with warnings.catch_warnings():  # quantized tensor creation warns that it is deprecated
        warnings.simplefilter("ignore")
        q = torch.quantize_per_tensor(real, 0.1, 3, torch.quint8)
    return int(q.int_repr().item())


def tinygemm_zero() -> float:
    from torchao.quantization.quant_primitives import MappingType, _choose_qparams_affine_tinygemm

    group = torch.tensor([[-0.3, 0.45, 0.0, 0.1]], dtype=torch.float64)
    _, zero = _choose_qparams_affine_tinygemm(
        group, MappingType.ASYMMETRIC, (1, 4), torch.int32, 0, 15
    )
    return float(zero.item())


@functools.cache
def tinygemm_bits_per_weight(group_size: int) -> float:
    """Bits per weight of the layout torchao builds for its CPU tinygemm int4 kernel."""
    import warnings

    from torchao.prototype.quantization.int4.inference_workflow import (
        PrototypeInt4WeightOnlyConfig,
    )
    from torchao.quantization import quantize_

    model = torch.nn.Sequential(torch.nn.Linear(512, 256, bias=False)).to(torch.bfloat16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_(model, PrototypeInt4WeightOnlyConfig(group_size=group_size))
    weight = model[0].weight
    return (weight.qdata.nbytes + weight.scale_and_zero.nbytes) * 8 / (512 * 256)


def marlin_bytes_per_weight(count: int = 128 * 1024) -> float:
    """Packed nibbles plus one FP16 scale per 128 weights."""
    return (meta_bytes(count // 2, torch.uint8) + meta_bytes(count // 128, torch.float16)) / count


def nibble_bytes() -> float:
    """Bytes per 4-bit weight: two per uint8."""
    return meta_bytes(512 // 2, torch.uint8) / 512


A100_RIDGE = 312e12 / 2039e9  # dense FP16 tensor FLOP/s over bytes/s (NVIDIA's guide)


def decode_intensity(bytes_per_weight: float) -> float:
    """FLOPs of a batch-1 Linear per weight, over the bytes each weight takes."""
    flops_per_weight = matmul_flops(1, 256, 192) / (256 * 192)
    return flops_per_weight / bytes_per_weight


COMPUTED: dict[str, Callable[[], float]] = {
    "hardware-kernels/s8s8-compensation": s8s8_compensation,
    "hardware-kernels/vpmaddubsw-saturation-example": vpmaddubsw_accumulator,
    "hardware-kernels/amx-vs-vnni-int8-ops": lambda: 2048 / 256,
    "hardware-kernels/smmla-macs": lambda: matmul_flops(2, 8, 2) / 2,
    "hardware-kernels/turing-int4-rate": lambda: 4096 / 1024,
    "hardware-kernels/a100-int8-dense": lambda: 1248 / 2,
    "hardware-kernels/blackwell-fp4-vs-fp8": lambda: 18 / 9,
    "hardware-kernels/requant-stored-value": requantized_output,
    "hardware-kernels/tinygemm-float-zero": tinygemm_zero,
    "hardware-kernels/tinygemm-bits-per-weight": lambda: tinygemm_bits_per_weight(64),
    "hardware-kernels/marlin-ideal-speedup": lambda: (
        meta_bytes(1, torch.float16) / marlin_bytes_per_weight()
    ),
    "hardware-kernels/marlin-macs-per-weight": lambda: (
        200 * nibble_bytes() / matmul_flops(1, 1, 1)  # FLOPs the GPU matches per weight / 2
    ),
    "hardware-kernels/a100-ridge-point": lambda: A100_RIDGE,
    "hardware-kernels/decode-gemv-intensity": lambda: decode_intensity(
        meta_bytes(1, torch.float16)
    ),
    "hardware-kernels/int4-decode-crossover-a100": lambda: (
        A100_RIDGE / decode_intensity(marlin_bytes_per_weight())
    ),
    "hardware-kernels/w8a8-decode-crossover-a100": lambda: (
        (624e12 / 2039e9) / decode_intensity(meta_bytes(1, torch.int8))
    ),
}
