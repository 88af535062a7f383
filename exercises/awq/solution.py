"""awq, the reference solution: activation-aware per-input-channel scales, the exponent
searched on calibration data, folded into each LayerNorm and the Linear it feeds (Lin et al.
2023, the reference code's auto_scale)."""

from __future__ import annotations

import torch
from torch import nn

GROUP_SIZE = 64  # the grader's format: 4-bit, asymmetric, groups of 64 input channels
GRID = 20  # alpha in 0, 0.05, ..., 0.95


def pseudo_quantize(weight: torch.Tensor, group_size: int = GROUP_SIZE) -> torch.Tensor:
    """4-bit asymmetric group-wise round-to-nearest, dequantized back to float."""
    out_features, in_features = weight.shape
    groups = weight.reshape(out_features, in_features // group_size, group_size)
    low = groups.amin(dim=-1, keepdim=True).clamp(max=0.0)
    high = groups.amax(dim=-1, keepdim=True).clamp(min=0.0)
    scale = ((high - low) / 15).clamp(min=torch.finfo(torch.float32).eps)
    zero = torch.round(-low / scale)
    codes = torch.clamp(torch.round(groups / scale) + zero, 0, 15)
    return ((codes - zero) * scale).reshape(out_features, in_features)


def ln_linear_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """(LayerNorm, the Linear it feeds) in every block."""
    pairs = []
    for index in range(len(model.blocks)):
        pairs.append((f"blocks.{index}.ln1", f"blocks.{index}.attn.qkv"))
        pairs.append((f"blocks.{index}.ln2", f"blocks.{index}.mlp.up"))
    return pairs


@torch.no_grad()
def linear_inputs(model: nn.Module, names: list[str], calibration: torch.Tensor) -> dict:
    """Each named Linear's input on the calibration windows, as (tokens, channels)."""
    inputs = {}

    def hook(name):
        def record(module, args):
            inputs[name] = args[0].reshape(-1, args[0].shape[-1]).clone()

        return record

    handles = [model.get_submodule(n).register_forward_pre_hook(hook(n)) for n in names]
    try:
        model(calibration[:, :-1])
    finally:
        for handle in handles:
            handle.remove()
    return inputs


@torch.no_grad()
def search_scale(x: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, float]:
    """The s = mean|x|^alpha whose quantized Linear best reproduces x W^T (and its alpha)."""
    reference = x @ weight.T
    x_mean = x.abs().mean(dim=0)
    best_error, best_alpha, best_scale = float("inf"), 0.0, torch.ones_like(x_mean)
    for step in range(GRID):
        alpha = step / GRID
        s = x_mean.pow(alpha).clamp(min=1e-4)
        s = s / (s.max() * s.min()).sqrt()  # centre the scales around 1, as auto_scale does
        quantized = pseudo_quantize(weight * s) / s
        error = (x @ quantized.T - reference).pow(2).mean().item()
        if error < best_error:
            best_error, best_alpha, best_scale = error, alpha, s
    return best_scale, best_alpha


@torch.no_grad()
def apply_awq(model: nn.Module, calibration: torch.Tensor) -> nn.Module:
    """Scale each LayerNorm -> Linear pair by its searched s: the Linear's input columns times
    s, the LayerNorm's weight and bias divided by s. The same function, safer salient
    channels."""
    pairs = ln_linear_pairs(model)
    inputs = linear_inputs(model, [linear for _, linear in pairs], calibration)
    for norm_name, linear_name in pairs:
        norm, linear = model.get_submodule(norm_name), model.get_submodule(linear_name)
        s, _alpha = search_scale(inputs[linear_name], linear.weight)
        norm.weight.div_(s)
        norm.bias.div_(s)
        linear.weight.mul_(s)
    return model
