"""absmax-int8-numpy: symmetric (absmax) INT8 quantization, the whiteboard version in NumPy.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check absmax-int8-numpy

NumPy only: the grader fails a function that calls torch.
"""

from __future__ import annotations

import numpy as np


def quantize(x: np.ndarray, scale: float | None = None) -> tuple[np.ndarray, float]:
    """(codes, scale): x (float32) as int8 codes in [-127, 127] with codes * scale ~ x.

    Without a scale, use absmax / 127 (absmax = the largest |x|); with one (e.g. from
    calibration), use it, and values beyond 127 * scale saturate at -127 or 127.
    """
    # TODO 1: refuse what cannot be quantized: NaN or inf in x, a scale that is not a
    #         positive finite number. Raise ValueError and say which.
    # TODO 2: the scale. What should an all-zero x get? (Not 0: what would x / 0 give?)
    # TODO 3: round x / scale to the nearest integer. Which way does PyTorch break a tie
    #         (2.5 -> ?), and which NumPy function does the same?
    # TODO 4: keep the codes in [-127, 127], then store them as int8. What does
    #         np.array([300.0]).astype(np.int8) give?
    raise NotImplementedError("TODO: quantize")


def dequantize(q: np.ndarray, scale: float) -> np.ndarray:
    """The float32 values that int8 codes q stand for."""
    # TODO 5: what dtype does an int8 array times a Python float have in NumPy?
    raise NotImplementedError("TODO: dequantize")
