"""awq: protect the salient input channels of a GPT before 4-bit round-to-nearest.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check awq

The grader calls apply_awq(model, calibration) on a copy of its GPT (with salient channels)
and quantizes the model you return with its own 4-bit round-to-nearest (groups of 64).
"""

from __future__ import annotations

import torch
from torch import nn

GROUP_SIZE = 64  # the grader's format: 4-bit, asymmetric, groups of 64 input channels
GRID = 20  # alpha in 0, 0.05, ..., 0.95


def pseudo_quantize(weight: torch.Tensor, group_size: int = GROUP_SIZE) -> torch.Tensor:
    """4-bit asymmetric group-wise round-to-nearest, dequantized back to float (the grader's
    format; given, since int4-weight-only teaches it)."""
    out_features, in_features = weight.shape
    groups = weight.reshape(out_features, in_features // group_size, group_size)
    low = groups.amin(dim=-1, keepdim=True).clamp(max=0.0)
    high = groups.amax(dim=-1, keepdim=True).clamp(min=0.0)
    scale = ((high - low) / 15).clamp(min=torch.finfo(torch.float32).eps)
    zero = torch.round(-low / scale)
    codes = torch.clamp(torch.round(groups / scale) + zero, 0, 15)
    return ((codes - zero) * scale).reshape(out_features, in_features)


@torch.no_grad()
def linear_inputs(model: nn.Module, names: list[str], calibration: torch.Tensor) -> dict:
    """Each named Linear's input on the calibration windows, as (tokens, channels)
    (calibration is (N, context + 1) byte ids: the model reads calibration[:, :-1])."""
    # TODO 1: a forward pre-hook on each Linear keeps args[0] reshaped to (-1, channels);
    #         run the model once; remove the hooks.
    raise NotImplementedError("TODO: linear_inputs")


@torch.no_grad()
def search_scale(x: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, float]:
    """The per-input-channel scale s = mean|x|^alpha whose quantized Linear best reproduces
    x W^T, and its alpha."""
    # TODO 2: x_mean = mean |x| per input channel (over dim 0).
    # TODO 3: for alpha in 0, 1/GRID, ..., (GRID - 1)/GRID: s = x_mean^alpha (clamped away
    #         from 0), the error of x @ (pseudo_quantize(W * s) / s).T against x @ W.T;
    #         keep the best s.
    raise NotImplementedError("TODO: search_scale")


@torch.no_grad()
def apply_awq(model: nn.Module, calibration: torch.Tensor) -> nn.Module:
    """Scale the salient channels of every LayerNorm -> Linear pair and return the model."""
    # TODO 4: the pairs: in every block, ln1 feeds attn.qkv and ln2 feeds mlp.up; collect
    #         their inputs on the calibration text (before changing anything).
    # TODO 5: fold: the Linear's weight columns multiplied by s, the LayerNorm's weight and
    #         bias divided by s. The model must compute exactly what it did.
    raise NotImplementedError("TODO: apply_awq")
