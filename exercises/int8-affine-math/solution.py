"""Reference solution for int8-affine-math: PyTorch's INT8 arithmetic in plain Python."""

from __future__ import annotations

FLOAT32_EPS = 2.0**-23  # torch.finfo(torch.float32).eps: the smallest scale an observer returns


def qrange(dtype: str, reduce_range: bool = False) -> tuple[int, int]:
    if dtype == "quint8":
        qmin, qmax = 0, 255
    elif dtype == "qint8":
        qmin, qmax = -128, 127
    else:
        raise ValueError(f"dtype must be 'quint8' or 'qint8', not {dtype!r}")
    if reduce_range:  # one bit less: quint8 [0, 127], qint8 [-64, 63]
        qmin, qmax = qmin // 2, qmax // 2
    return qmin, qmax


def quantize(x: float, scale: float, zero_point: int, dtype: str) -> int:
    qmin, qmax = qrange(dtype)
    # round() is half-to-even, like the kernels' nearbyint; the zero point is added after
    # rounding (it is an integer), then the result is clamped to the dtype's range.
    q = round(x / scale) + zero_point
    return min(max(q, qmin), qmax)


def dequantize(q: int, scale: float, zero_point: int) -> float:
    return (q - zero_point) * scale


def qparams(
    x_min: float,
    x_max: float,
    dtype: str = "quint8",
    qscheme: str = "affine",
    reduce_range: bool = False,
) -> tuple[float, int]:
    qmin, qmax = qrange(dtype, reduce_range)
    # The range always contains 0, so that real zero is exactly representable.
    min_neg, max_pos = min(x_min, 0.0), max(x_max, 0.0)
    if qscheme == "symmetric":
        if dtype == "quint8" and reduce_range:
            raise ValueError("PyTorch has no symmetric quint8 with reduce_range")
        amax = max(-min_neg, max_pos)
        scale = max(amax / ((qmax - qmin) / 2), FLOAT32_EPS)  # 127.5 for qint8, not 127
        zero_point = 0 if dtype == "qint8" else 128
        return scale, zero_point
    if qscheme != "affine":
        raise ValueError(f"qscheme must be 'affine' or 'symmetric', not {qscheme!r}")
    scale = max((max_pos - min_neg) / (qmax - qmin), FLOAT32_EPS)
    zero_point = qmin - round(min_neg / scale)
    return scale, min(max(zero_point, qmin), qmax)
