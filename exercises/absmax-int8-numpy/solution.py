"""Reference solution for absmax-int8-numpy: symmetric per-tensor INT8 in NumPy."""

from __future__ import annotations

import numpy as np

QMAX = 127  # symmetric: codes in [-127, 127], so +absmax and -absmax are both exact


def quantize(x: np.ndarray, scale: float | None = None) -> tuple[np.ndarray, float]:
    x = np.asarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        bad = "NaN" if np.isnan(x).any() else "inf"
        raise ValueError(f"x contains {bad}: absmax quantization needs finite values")
    if scale is None:
        absmax = float(np.abs(x).max())
        # An all-zero tensor has absmax 0: any positive scale stores it exactly (all codes
        # 0), and 1.0 keeps dequantize free of a division by zero.
        scale = absmax / QMAX if absmax > 0 else 1.0
    elif not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, not {scale!r}")
    # np.rint rounds half to even, like PyTorch's nearbyint; clip before the cast, since a
    # cast of a value outside [-128, 127] to int8 wraps around.
    codes = np.clip(np.rint(x / np.float32(scale)), -QMAX, QMAX)
    return codes.astype(np.int8), float(scale)


def dequantize(q: np.ndarray, scale: float) -> np.ndarray:
    # float32 on purpose: int8 * a Python float gives float64 in NumPy.
    return q.astype(np.float32) * np.float32(scale)
