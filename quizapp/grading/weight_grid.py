"""The checker's low-bit weight grid for GPTQ: what "on the grid" means, the round-to-nearest
it is compared with, and the per-layer output error both are measured by (torch).

A weight W of shape (out, in) at b bits has, per output channel (row), a scale s and an
integer zero point z; every quantized weight is (q - z) * s with an integer code q in
0..2^b - 1. The checker's own scale and zero point come from the row's range widened to hold
0, as the group-wise INT4 format does (quizapp.grading.groupwise), with one group a row:

    s = (max(w, 0) - min(w, 0)) / (2^b - 1)        z = round(-min(w, 0) / s)

GPTQ keeps that grid (it is fixed by the original row before any error is fed back) and
only chooses the codes differently, so a learner's weights are judged on the grid of the
scales and zero points the learner declares: W / s + z must be an integer in range.
"""

from __future__ import annotations

import torch

ON_GRID_TOLERANCE = 1e-3  # in codes: float32 (q - z) * s / s + z is an integer to ~1e-6


def levels(bits: int) -> int:
    """The largest code: 2^bits - 1."""
    return 2**bits - 1


def grid(weight: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The checker's (scale, zero) per output channel, both (out, 1) float32."""
    weight = weight.detach().float()
    low = weight.amin(dim=1, keepdim=True).clamp(max=0.0)
    high = weight.amax(dim=1, keepdim=True).clamp(min=0.0)
    scale = ((high - low) / levels(bits)).clamp(min=torch.finfo(torch.float32).eps)
    zero = torch.round(-low / scale).clamp(0, levels(bits))
    return scale, zero


def codes_of(
    weight: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, bits: int
) -> torch.Tensor:
    """Round-to-nearest codes of `weight` on a given grid (times the reciprocal, as
    torchao's quantize_affine does), clamped to 0..2^bits - 1."""
    codes = torch.round(weight.float() * (1.0 / scale)) + zero
    return codes.clamp(0, levels(bits))


def dequantize(codes: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor) -> torch.Tensor:
    return (codes.float() - zero) * scale


def rtn(weight: torch.Tensor, bits: int) -> torch.Tensor:
    """The checker's round-to-nearest at `bits`, dequantized: the figure GPTQ must beat."""
    scale, zero = grid(weight, bits)
    return dequantize(codes_of(weight, scale, zero, bits), scale, zero)


def grid_codes(
    weight: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor
) -> tuple[torch.Tensor, float]:
    """W / s + z, the codes a declared grid gives `weight`, and their largest distance to an
    integer (0 when every weight is on the grid)."""
    codes = weight.double() / scale.double() + zero.double()
    distance = (codes - torch.round(codes)).abs().max().item() if codes.numel() else 0.0
    return codes, distance


def output_error(inputs: torch.Tensor, weight: torch.Tensor, quantized: torch.Tensor) -> float:
    """||X (Q - W)^T||^2 / ||X W^T||^2: the layer's relative output error on inputs X
    (rows, in); the bias cancels."""
    with torch.no_grad():
        change = inputs @ (quantized.float() - weight.float()).T
        reference = inputs @ weight.float().T
        return (change.pow(2).sum() / reference.pow(2).sum().clamp(min=1e-30)).item()
