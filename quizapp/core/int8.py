"""INT8 arithmetic exactly as PyTorch does it, in plain Python (no torch import).

PyTorch computes qparams in float32; `f32` rounds each intermediate result the same way, so
the answers match `torch.ao.quantization.MinMaxObserver` bit for bit (tests use torch as the
oracle). Rounding is half-to-even, like `torch.round` and `nearbyint`.
"""

from __future__ import annotations

import struct
from typing import Literal

DType = Literal["quint8", "qint8"]
QScheme = Literal["affine", "symmetric"]

FLOAT32_EPS = 1.1920928955078125e-07  # torch.finfo(torch.float32).eps

_PACK = struct.Struct("f")


def f32(x: float) -> float:
    """Round a Python float to the nearest float32 (one IEEE single-precision operation)."""
    return _PACK.unpack(_PACK.pack(x))[0]


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
    min_neg = min(f32(x_min), 0.0)  # the range is always widened to include 0
    max_pos = max(f32(x_max), 0.0)
    if qscheme == "symmetric":
        amax = max(-min_neg, max_pos)
        scale = max(f32(amax / f32((quant_max - quant_min) / 2)), FLOAT32_EPS)
        zero_point = 128 if dtype == "quint8" else 0
        return scale, zero_point
    scale = max(f32(f32(max_pos - min_neg) / float(quant_max - quant_min)), FLOAT32_EPS)
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
