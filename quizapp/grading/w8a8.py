"""The checker's W8A8 for SmoothQuant: outlier channels put into the GPT, and the grader's own
simulated INT8 weights and activations (torch).

Small models lack the activation outliers large ones grow, so the grader plants them with an
exact, function-preserving rescale: a few channels of a LayerNorm are multiplied by a factor
and the matching input columns of the Linear it feeds divided by it. The channels are drawn
from this install's secret seed.

W8A8 here is what SmoothQuant's per-tensor setting quantizes: the Linear layers fed by a
LayerNorm (`attn.qkv`, `mlp.up`) get INT8 weights, symmetric, one scale per output channel,
and INT8 inputs, symmetric, one static scale per tensor from the calibration text's largest
|x|; both simulated (quantize, then dequantize) in float.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from quizapp.grading.groupwise import replace_weights, rtn_per_channel_weights

OUTLIER_CHANNELS = 4
OUTLIER_FACTOR = 50.0
OUTLIER_SEED_OFFSET = 77
INT8_LEVELS = 127


def smoothed_pairs(model: nn.Module) -> list[tuple[str, str]]:
    """(LayerNorm, the Linear it feeds) in every block: the pairs SmoothQuant folds into."""
    pairs = []
    blocks = model.get_submodule("blocks")
    assert isinstance(blocks, nn.ModuleList)
    for index in range(len(blocks)):
        pairs.append((f"blocks.{index}.ln1", f"blocks.{index}.attn.qkv"))
        pairs.append((f"blocks.{index}.ln2", f"blocks.{index}.mlp.up"))
    return pairs


@torch.no_grad()
def plant_outliers(
    model: nn.Module,
    seed: int,
    *,
    channels: int = OUTLIER_CHANNELS,
    factor: float = OUTLIER_FACTOR,
    seed_offset: int = OUTLIER_SEED_OFFSET,
) -> dict[str, list[int]]:
    """Scale `channels` channels of each LayerNorm by `factor` and divide the next Linear's
    columns by it (in place; the function is unchanged up to rounding). Which channels comes
    from `seed + seed_offset` (each exercise its own offset, so one exercise's channels say
    nothing about another's). Returns the channels, by LayerNorm, for the record (the checker
    keeps them to itself)."""
    generator = torch.Generator().manual_seed(seed + seed_offset)
    planted = {}
    for norm_name, linear_name in smoothed_pairs(model):
        norm, linear = model.get_submodule(norm_name), model.get_submodule(linear_name)
        assert isinstance(norm, nn.LayerNorm) and isinstance(linear, nn.Linear)
        chosen = torch.randperm(norm.weight.numel(), generator=generator)[:channels]
        norm.weight[chosen] *= factor
        norm.bias[chosen] *= factor
        linear.weight[:, chosen] /= factor
        planted[norm_name] = sorted(chosen.tolist())
    return planted


@torch.no_grad()
def input_ranges(model: nn.Module, names: list[str], ids: torch.Tensor) -> dict[str, float]:
    """The largest |x| each named Linear receives on the windows `ids`."""
    largest = dict.fromkeys(names, 0.0)

    def hook(name: str):
        def record(module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            largest[name] = max(largest[name], args[0].abs().max().item())

        return record

    handles = [model.get_submodule(n).register_forward_pre_hook(hook(n)) for n in names]
    try:
        model(ids[:, :-1])
    finally:
        for handle in handles:
            handle.remove()
    return largest


def fake_quantize_per_tensor(x: torch.Tensor, scale: float) -> torch.Tensor:
    return torch.clamp(torch.round(x / scale), -INT8_LEVELS - 1, INT8_LEVELS) * scale


@contextmanager
def w8a8(model: nn.Module, calibration_ids: torch.Tensor) -> Iterator[nn.Module]:
    """The model with the smoothed Linears in simulated W8A8 (weights replaced in place, the
    input quantizers as hooks removed on exit)."""
    names = [linear for _, linear in smoothed_pairs(model)]
    ranges = input_ranges(model, names, calibration_ids)
    replace_weights(model, rtn_per_channel_weights(model, names, 8))
    handles = []
    for name in names:
        scale = max(ranges[name], 1e-12) / INT8_LEVELS
        handles.append(
            model.get_submodule(name).register_forward_pre_hook(
                lambda module, args, scale=scale: (fake_quantize_per_tensor(args[0], scale),)
            )
        )
    try:
        yield model
    finally:
        for handle in handles:
            handle.remove()
