"""int8-affine-math: PyTorch's INT8 quantization arithmetic, written by hand.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check int8-affine-math

Every function takes and returns plain Python numbers. dtype is "quint8" or "qint8";
qscheme is "affine" or "symmetric". Plain Python (round, min, max) is all you need; torch
arithmetic such as torch.round is allowed too, but not torch's own quantization functions
(torch.quantize_per_tensor, observers, anything in torch.ao.quantization).
"""

from __future__ import annotations


def qrange(dtype: str, reduce_range: bool = False) -> tuple[int, int]:
    """(qmin, qmax): the integers a dtype can hold; reduce_range drops one bit."""
    # TODO 1: quint8 and qint8 ranges, and what reduce_range does to each.
    raise NotImplementedError("TODO: qrange")


def quantize(x: float, scale: float, zero_point: int, dtype: str) -> int:
    """The integer PyTorch stores for the real value x."""
    # TODO 2: the lesson writes Q(x) = round(x / S + Z). PyTorch's kernels differ in two
    #         ways: where the zero point is added, and what happens outside the range.
    #         Which way does Python's round() break a tie (2.5)? Which way does torch?
    raise NotImplementedError("TODO: quantize")


def dequantize(q: int, scale: float, zero_point: int) -> float:
    """The real value an integer q stands for."""
    # TODO 3
    raise NotImplementedError("TODO: dequantize")


def qparams(
    x_min: float,
    x_max: float,
    dtype: str = "quint8",
    qscheme: str = "affine",
    reduce_range: bool = False,
) -> tuple[float, int]:
    """(scale, zero_point) exactly as torch.ao.quantization.MinMaxObserver computes them
    for an observed range [x_min, x_max]."""
    # TODO 4: the range PyTorch really quantizes always contains 0. Why?
    # TODO 5: affine: the scale spreads the range over qmax - qmin steps; the zero point is
    #         the integer that stands for 0.0 (and it must fit in [qmin, qmax]).
    # TODO 6: symmetric: the range is [-amax, amax]; what is the denominator, and what
    #         zero point does each dtype get?
    # TODO 7: an observer that only ever saw zeros must not return a scale of 0.
    raise NotImplementedError("TODO: qparams")
