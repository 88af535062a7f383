"""INT8 arithmetic exactly as PyTorch does it, in plain Python (no torch import).

PyTorch computes qparams in float32; `f32` rounds each intermediate result the same way, so
the answers match `torch.ao.quantization.MinMaxObserver` bit for bit (tests use torch as the
oracle). Rounding is half-to-even, like `torch.round` and `nearbyint`.
"""

from __future__ import annotations

import math
import struct
from typing import Literal

DType = Literal["quint8", "qint8"]
QScheme = Literal["affine", "symmetric"]

FLOAT32_EPS = 1.1920928955078125e-07  # torch.finfo(torch.float32).eps

_PACK = struct.Struct("f")


def f32(x: float) -> float:
    """Round a Python float to the nearest float32 (one IEEE single-precision operation)."""
    rounded: float = _PACK.unpack(_PACK.pack(x))[0]
    return rounded


def qrange(dtype: DType, reduce_range: bool = False) -> tuple[int, int]:
    """(quant_min, quant_max), as torch.ao.quantization.utils.calculate_qmin_qmax."""
    if dtype == "quint8":
        return (0, 127) if reduce_range else (0, 255)
    if dtype == "qint8":
        return (-64, 63) if reduce_range else (-128, 127)
    raise ValueError(f"unsupported dtype {dtype!r}")


def supported(dtype: DType, qscheme: QScheme, reduce_range: bool) -> bool:
    """MinMaxObserver raises NotImplementedError for symmetric quint8 with reduce_range."""
    return not (qscheme == "symmetric" and dtype == "quint8" and reduce_range)


def calculate_qparams(
    x_min: float,
    x_max: float,
    dtype: DType = "quint8",
    qscheme: QScheme = "affine",
    reduce_range: bool = False,
) -> tuple[float, int]:
    """(scale, zero_point) as MinMaxObserver computes them after observing [x_min, x_max]."""
    if not supported(dtype, qscheme, reduce_range):
        raise ValueError("symmetric quint8 with reduce_range is not supported by PyTorch")
    quant_min, quant_max = qrange(dtype, reduce_range)
    return choose_qparams(x_min, x_max, quant_min, quant_max, dtype, qscheme)


def choose_qparams(
    x_min: float,
    x_max: float,
    quant_min: int,
    quant_max: int,
    dtype: DType,
    qscheme: QScheme,
    eps: float = FLOAT32_EPS,
    customized_range: bool = False,
) -> tuple[float, int]:
    """`UniformQuantizationObserverBase._calculate_qparams` for one tensor or one channel.

    Per-tensor and per-channel observers share it; `customized_range` is what torch calls
    `has_customized_qrange` (quant_min/quant_max given to the observer), which moves the
    symmetric quint8 zero point from 128 to the range's midpoint.
    """
    min_neg = min(f32(x_min), 0.0)  # the range is always widened to include 0
    max_pos = max(f32(x_max), 0.0)
    if qscheme == "symmetric":
        amax = max(-min_neg, max_pos)
        scale = max(f32(amax / f32((quant_max - quant_min) / 2)), f32(eps))
        if dtype == "quint8":
            zero_point = (quant_min + quant_max) // 2 if customized_range else 128
        else:
            zero_point = 0
        return scale, zero_point
    scale = max(f32(f32(max_pos - min_neg) / float(quant_max - quant_min)), f32(eps))
    zero_point = quant_min - round(f32(min_neg / scale))
    return scale, min(max(zero_point, quant_min), quant_max)


def quantize(x: float, scale: float, zero_point: int, quant_min: int, quant_max: int) -> int:
    """q = clamp(round(x / s) + z, qmin, qmax), as torch.quantize_per_tensor (float32 input).

    ATen's CPU kernel multiplies by the float32 reciprocal of the scale; this mirrors it.
    """
    inv_scale = f32(1.0 / f32(scale))
    q = round(f32(f32(x) * inv_scale)) + zero_point
    return min(max(q, quant_min), quant_max)


def dequantize(q: int, scale: float, zero_point: int) -> float:
    """x_hat = (q - z) * s, in float32 as torch's dequantize."""
    return f32((q - zero_point) * f32(scale))


def fake_quantize(x: float, scale: float, zero_point: int, quant_min: int, quant_max: int) -> float:
    """Quantize then dequantize: the value the network actually computes with."""
    return dequantize(quantize(x, scale, zero_point, quant_min, quant_max), scale, zero_point)


def requant_multiplier(input_scale: float, weight_scale: float, output_scale: float) -> float:
    """M = s_in * s_w / s_out, in float32 as fbgemm's quantized linear/conv computes it."""
    return f32(f32(f32(input_scale) * f32(weight_scale)) / f32(output_scale))


def requantize(acc: int, multiplier: float, zero_point: int, quant_min: int, quant_max: int) -> int:
    """The int32 accumulator back to 8 bits: clamp(round(acc * M) + z_out), float32 like fbgemm."""
    q = round(f32(f32(acc) * f32(multiplier))) + zero_point
    return min(max(q, quant_min), quant_max)


def quantize_multiplier(multiplier: float) -> tuple[int, int]:
    """gemmlowp's QuantizeMultiplierSmallerThanOne: M = M0 * 2**-31 * 2**-shift.

    M0 is an int32 in [2**30, 2**31) (a Q31 fixed-point number in [0.5, 1)), shift >= 0 is a
    right shift; integer-only kernels (gemmlowp, TFLite, QNNPACK) requantize with them.
    """
    if not 0.0 < multiplier < 1.0:
        raise ValueError("the multiplier must be in (0, 1)")
    shift = 0
    while multiplier < 0.5:
        multiplier *= 2.0
        shift += 1
    m0 = round_half_away(multiplier * (1 << 31))
    if m0 == 1 << 31:
        m0 //= 2
        shift -= 1
    return m0, shift


def round_half_away(x: float) -> int:
    """C's std::round (ties away from zero), which gemmlowp uses for M0."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def product_range(a_range: tuple[int, int], b_range: tuple[int, int]) -> tuple[int, int]:
    """Smallest and largest product of an integer from each range."""
    corners = [a * b for a in a_range for b in b_range]
    return min(corners), max(corners)


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
