"""int4-weight-only: group-wise INT4 weights, packed two per byte, on a small GPT.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check int4-weight-only

The grader calls pack_int4 and unpack_int4 on its own codes, then quantize(model, 64) on a
copy of its GPT, and runs every Linear of the returned model on activations it recorded on
calibration text. Plain torch arithmetic is all you need (no torchao, no torch.ao).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: F401 - for your forward
from torch import nn

QMIN, QMAX = 0, 15


def pack_int4(codes: torch.Tensor) -> torch.Tensor:
    """(..., n) codes in 0..15 -> (..., n / 2) uint8: code 2i in the low four bits of byte
    i, code 2i + 1 in the high four bits."""
    # TODO 1: take the even and the odd codes along the last dimension (slicing with a
    #         step), shift one of them, and combine them with a bitwise or.
    raise NotImplementedError("TODO: pack_int4")


def unpack_int4(packed: torch.Tensor) -> torch.Tensor:
    """(..., n / 2) uint8 -> (..., n) uint8 codes in 0..15 (the inverse of pack_int4)."""
    # TODO 2: the low nibble is `packed & 0x0F`; the high one? Then interleave them back.
    raise NotImplementedError("TODO: unpack_int4")


def quantize_groupwise(
    weight: torch.Tensor, group_size: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Round-to-nearest per group of `group_size` consecutive inputs of each output row:
    (codes (out, in) uint8 in 0..15, scale (out, in / group_size), zero_point (same))."""
    # TODO 3: reshape to (out, in / group_size, group_size) and find each group's range
    #         (widened to hold 0). Asymmetric: 16 levels spread over [low, high], and a zero
    #         point so that (code - zero_point) * scale gives back the weight.
    raise NotImplementedError("TODO: quantize_groupwise")


class Int4Linear(nn.Module):
    """A Linear whose weight is stored only as packed INT4 codes with group-wise scales."""

    def __init__(self, linear: nn.Linear, group_size: int) -> None:
        super().__init__()
        # TODO 4: quantize linear.weight, then keep three buffers the grader reads:
        #         self.packed (uint8, (out, in / 2)), self.scale and self.zero_point
        #         ((out, in / group_size) each); keep the bias as it is. No FP32 weight.
        raise NotImplementedError("TODO: Int4Linear")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # TODO 5: unpack, dequantize with (code - zero_point) * scale, and F.linear.
        raise NotImplementedError("TODO: Int4Linear.forward")


def quantize(model: nn.Module, group_size: int) -> nn.Module:
    """Replace every nn.Linear of the model by an Int4Linear and return the model."""
    # TODO 6: walk model.named_modules(); replace each Linear on its parent (setattr).
    raise NotImplementedError("TODO: quantize")
