"""gptq, the reference solution: GPTQ (Frantar et al. 2022) at `bits` bits, asymmetric, one
scale and zero point per output channel, on every Linear layer of the GPT, one layer
after another, each layer's Hessian taken from inputs that the already-quantized
earlier layers produce.
"""

from __future__ import annotations

import torch
from torch import nn

DAMPENING = 0.01  # lambda = 1% of the mean of diag(H)
BLOCK = 128  # lazy batch: columns updated together before the rest of W is touched


def linear_names(model: nn.Module) -> list[str]:
    """Every Linear, in the order the model runs them: each block's qkv, proj, up, down, then
    the head."""
    return [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]


def grid(weight: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Scale and zero point per output channel (both (out, 1)) from the row's range, widened
    to hold 0."""
    qmax = 2**bits - 1
    low = weight.amin(dim=1, keepdim=True).clamp(max=0.0)
    high = weight.amax(dim=1, keepdim=True).clamp(min=0.0)
    scale = ((high - low) / qmax).clamp(min=torch.finfo(torch.float32).eps)
    zero = torch.round(-low / scale).clamp(0, qmax)
    return scale, zero


def quantize_column(
    column: torch.Tensor, scale: torch.Tensor, zero: torch.Tensor, bits: int
) -> torch.Tensor:
    """Round-to-nearest of one column (out,) on the grid, dequantized."""
    codes = torch.clamp(torch.round(column * (1.0 / scale)) + zero, 0, 2**bits - 1)
    return (codes - zero) * scale


class _Reached(Exception):
    """Raised by the hook once the Linear's input is recorded: the rest of the forward pass
    is not needed (the reference code's `Catcher` does the same)."""


@torch.no_grad()
def hessian(model: nn.Module, name: str, calibration: torch.Tensor) -> torch.Tensor:
    """H = 2 X^T X / N over the N calibration rows X (N, in) the named Linear receives."""
    linear = model.get_submodule(name)
    columns = linear.in_features
    inputs = []

    def record(module, args):
        inputs.append(args[0].reshape(-1, columns).float())
        raise _Reached

    handle = linear.register_forward_pre_hook(record)
    try:
        model(calibration[:, :-1])
    except _Reached:
        pass
    finally:
        handle.remove()
    x = inputs[0]
    return 2 * x.T @ x / x.shape[0]


@torch.no_grad()
def gptq_layer(
    weight: torch.Tensor, h: torch.Tensor, bits: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(quantized weight (out, in), scale (out, 1), zero (out, 1)) of one Linear."""
    w = weight.detach().clone().float()
    scale, zero = grid(w, bits)  # fixed by the original row: the same grid as RTN's
    h = h.clone()
    dead = torch.diag(h) == 0  # inputs that are always 0: their weights do not matter
    h[dead, dead] = 1
    w[:, dead] = 0
    columns = w.shape[1]
    h += DAMPENING * torch.diag(h).mean() * torch.eye(columns)
    # Upper Cholesky factor of H^-1: row i holds what quantizing column i does to the rest.
    h_inv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(h)), upper=True)
    quantized = torch.zeros_like(w)
    for start in range(0, columns, BLOCK):
        end = min(start + BLOCK, columns)
        block = w[:, start:end].clone()
        errors = torch.zeros_like(block)
        h_block = h_inv[start:end, start:end]
        for i in range(end - start):
            column = block[:, i]
            q = quantize_column(column.unsqueeze(1), scale, zero, bits).squeeze(1)
            quantized[:, start + i] = q
            error = (column - q) / h_block[i, i]
            # Feed the error back into the columns of this block not yet quantized.
            block[:, i:] -= error.unsqueeze(1) @ h_block[i, i:].unsqueeze(0)
            errors[:, i] = error
        # Then once into every column after the block (the lazy batch update).
        w[:, end:] -= errors @ h_inv[start:end, end:]
    return quantized, scale, zero


@torch.no_grad()
def gptq(model: nn.Module, calibration: torch.Tensor, bits: int) -> dict[str, dict]:
    """Quantize each Linear in order; each one's weight is replaced in the model by its
    quantized value before the next layer's Hessian is measured."""
    result = {}
    for name in linear_names(model):
        linear = model.get_submodule(name)
        quantized, scale, zero = gptq_layer(linear.weight, hessian(model, name, calibration), bits)
        linear.weight.copy_(quantized)
        result[name] = {"weight": quantized, "scale": scale, "zero": zero}
    return result
