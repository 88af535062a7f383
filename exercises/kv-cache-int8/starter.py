"""kv-cache-int8: quantize the K and V cache of a small GPT to INT8, in a format you declare.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check kv-cache-int8

The grader reads FORMAT, calls quantize() on the keys and values its GPT computes on
calibration text (each of shape (batch, heads, tokens, head_dim)), and dequantize() on what
quantize() returned. Then it runs its own cache in the format you declared. Plain torch
arithmetic is all you need.
"""

from __future__ import annotations

import torch

# Which elements share a scale: "per-token" (one scale per token, over every head and
# channel) or "per-head" (one per token and head); symmetric or asymmetric (with a zero
# point). The grader re-implements what you declare here: your codes must agree with it.
FORMAT = {"granularity": "per-head", "symmetric": True}
QMAX = 127


def quantize(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """K or V (batch, heads, tokens, head_dim) -> (int8 codes of the same shape, scales that
    broadcast against x). Return (codes, scale, zero_point) if you declared asymmetric."""
    # TODO 1: the largest |x| over the elements that share a scale (keepdim=True, so the
    #         scale broadcasts back), divided by QMAX; floor it at a tiny positive number.
    # TODO 2: codes = round(x / scale), clamped to -QMAX..QMAX, stored as torch.int8.
    raise NotImplementedError("TODO: quantize")


def dequantize(codes: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """What attention reads back from the cache: float values of the codes' shape."""
    # TODO 3: codes times scale, in float32.
    raise NotImplementedError("TODO: dequantize")
