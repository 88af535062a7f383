"""smoothquant: make a GPT with activation outliers quantizable at W8A8 per tensor.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check smoothquant

The grader calls smooth(model, calibration) on a copy of its GPT (with outlier channels)
and quantizes the model you return with its own W8A8.
"""

from __future__ import annotations

import torch
from torch import nn

ALPHA = 0.5  # migration strength: 0 leaves the activations alone, 1 moves everything


@torch.no_grad()
def channel_maxima(model: nn.Module, names: list[str], calibration: torch.Tensor) -> dict:
    """max |x| per input channel of each named Linear, over the calibration windows
    (calibration is (N, context + 1) byte ids: the model reads calibration[:, :-1])."""
    # TODO 1: a forward pre-hook on each Linear records args[0].abs() reduced over every
    #         dimension but the last; run the model once; remove the hooks.
    raise NotImplementedError("TODO: channel_maxima")


@torch.no_grad()
def smooth(model: nn.Module, calibration: torch.Tensor) -> nn.Module:
    """Migrate the activation outliers into the weights and return the model."""
    # TODO 2: the pairs: in every block, ln1 feeds attn.qkv and ln2 feeds mlp.up.
    # TODO 3: s_j = max|x_j|^ALPHA / max|w_j|^(1 - ALPHA), with w_j the Linear's input
    #         column j (its weight is (out, in): reduce over dim 0).
    # TODO 4: fold: the LayerNorm's weight and bias divided by s, the Linear's weight
    #         columns multiplied by s. The model must compute exactly what it did.
    raise NotImplementedError("TODO: smooth")
