"""gptq: GPTQ (Frantar et al. 2022) at 3 bits on a small GPT.

Read the task first (`quizapp exercises`, or README.md of the exercise), then fill in the
TODOs. Grade this file with:

    quizapp check gptq

The grader calls gptq(model, calibration, 3) on a copy of its GPT and reads, for every
Linear, the quantized weight, scale and zero point you return; it measures the layers and
the model itself, on held-out text your code never sees.
"""

from __future__ import annotations

import torch
from torch import nn

DAMPENING = 0.01  # lambda = 1% of the mean of diag(H)
BLOCK = 128  # lazy batch (optional): columns updated together before the rest of W


def linear_names(model: nn.Module) -> list[str]:
    """Every Linear, in the order the model runs them: each block's qkv, proj, up, down, then
    the head."""
    return [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]


def grid(weight: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale and zero point per output channel, both (out, 1), from the row's range widened to
    hold 0 (the grader's round-to-nearest uses the same grid)."""
    # TODO 1: low = row min clamped to <= 0, high = row max clamped to >= 0;
    #         scale = (high - low) / (2^bits - 1) (floored at a tiny positive number);
    #         zero = round(-low / scale), clamped to 0..2^bits - 1.
    raise NotImplementedError("TODO: grid")


@torch.no_grad()
def hessian(model: nn.Module, name: str, calibration: torch.Tensor) -> torch.Tensor:
    """H = 2 X^T X / N over the N calibration rows X (N, in) the named Linear receives
    (calibration is (windows, context + 1) byte ids: the model reads calibration[:, :-1])."""
    # TODO 2: a forward pre-hook on the Linear accumulates X^T X and the row count; run the
    #         model once; remove the hook.
    raise NotImplementedError("TODO: hessian")


@torch.no_grad()
def gptq_layer(
    weight: torch.Tensor, h: torch.Tensor, bits: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(quantized weight (out, in), scale (out, 1), zero (out, 1)) of one Linear."""
    # TODO 3: the grid of the original weight; dampen H (+ DAMPENING * mean(diag(H)) * I);
    #         Hinv = upper Cholesky factor of H^-1.
    # TODO 4: column by column: round the column to the grid, keep it in Q, and feed its
    #         error (w - q) / Hinv[i, i] into the columns not yet quantized through row i of
    #         Hinv. Return Q (on the grid), not the updated float W.
    raise NotImplementedError("TODO: gptq_layer")


@torch.no_grad()
def gptq(model: nn.Module, calibration: torch.Tensor, bits: int) -> dict[str, dict]:
    """{name: {"weight": Q, "scale": s, "zero": z}} for every Linear, quantized in order."""
    # TODO 5: for each Linear in order: its Hessian on the current model, gptq_layer, and
    #         the Linear's weight replaced by Q before the next one.
    raise NotImplementedError("TODO: gptq")
