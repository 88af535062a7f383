"""smoothquant, the reference solution: per-channel smoothing factors from calibration
activations, folded into each LayerNorm and the Linear it feeds (Xiao et al. 2022)."""

from __future__ import annotations

import torch
from torch import nn

ALPHA = 0.5


@torch.no_grad()
def channel_maxima(model: nn.Module, names: list[str], calibration: torch.Tensor) -> dict:
    """max |x| per input channel of each named Linear, over the calibration windows."""
    maxima = {}

    def hook(name):
        def record(module, args):
            x = args[0].abs().reshape(-1, args[0].shape[-1]).amax(dim=0)
            maxima[name] = torch.maximum(maxima[name], x) if name in maxima else x

        return record

    handles = [model.get_submodule(n).register_forward_pre_hook(hook(n)) for n in names]
    try:
        model(calibration[:, :-1])
    finally:
        for handle in handles:
            handle.remove()
    return maxima


@torch.no_grad()
def smooth(model: nn.Module, calibration: torch.Tensor) -> nn.Module:
    """Divide each LayerNorm's channels by s and multiply the next Linear's input columns by
    s, with s_j = max|x_j|^alpha / max|w_j|^(1 - alpha): the same function, flatter inputs."""
    pairs = []
    for index in range(len(model.blocks)):
        pairs.append((f"blocks.{index}.ln1", f"blocks.{index}.attn.qkv"))
        pairs.append((f"blocks.{index}.ln2", f"blocks.{index}.mlp.up"))
    maxima = channel_maxima(model, [linear for _, linear in pairs], calibration)
    for norm_name, linear_name in pairs:
        norm, linear = model.get_submodule(norm_name), model.get_submodule(linear_name)
        x_max = maxima[linear_name].clamp(min=1e-5)
        w_max = linear.weight.abs().amax(dim=0).clamp(min=1e-5)
        s = x_max.pow(ALPHA) / w_max.pow(1 - ALPHA)
        norm.weight.div_(s)
        norm.bias.div_(s)
        linear.weight.mul_(s)
    return model
