"""The checker's salient-channel GPT for AWQ, and its own W4 round-to-nearest of a whole model
(torch).

AWQ protects the few input channels that carry large activations. The lab's small GPT has
none worth protecting (AWQ gains nothing on it), so the grader makes some with the exact,
function-preserving rescale SmoothQuant's grader uses (`w8a8.plant_outliers`): in every
block, SALIENT_CHANNELS channels of `ln1` and of `ln2` are multiplied by a factor and the
matching input columns of `attn.qkv` and `mlp.up` divided by it. The model computes what it
did; but those columns are now so small that round-to-nearest sets most of them to zero
while their inputs are large, which is the damage AWQ undoes. Which channels, and the
factor (between FACTOR_LOW and FACTOR_HIGH), are drawn from the install's secret seed, so
no fixed list can be undone by a submission that does not look at the activations.

The quantization the exercise is graded at: every Linear of the GPT (the head included),
4-bit asymmetric groups of GROUP_SIZE along the input dimension (`groupwise.quantize_rtn`),
dequantized back to float.
"""

from __future__ import annotations

import torch
from torch import nn

from quizapp.grading.groupwise import replace_weights, rtn_weights
from quizapp.grading.w8a8 import plant_outliers

SALIENT_CHANNELS = 8  # of 128 per LayerNorm
FACTOR_LOW, FACTOR_HIGH = 20.0, 50.0
SALIENT_SEED_OFFSET = 3103  # not smoothquant's: its channels say nothing about these
GROUP_SIZE = 64


def salient_factor(seed: int) -> float:
    """This install's factor, in [FACTOR_LOW, FACTOR_HIGH)."""
    generator = torch.Generator().manual_seed(seed + SALIENT_SEED_OFFSET)
    draw = torch.rand((), generator=generator).item()
    return round(FACTOR_LOW + (FACTOR_HIGH - FACTOR_LOW) * draw, 1)


def plant_salient_channels(model: nn.Module, seed: int) -> tuple[dict[str, list[int]], float]:
    """The GPT with salient input channels (in place): the channels by LayerNorm, the factor."""
    factor = salient_factor(seed)
    channels = plant_outliers(
        model,
        seed,
        channels=SALIENT_CHANNELS,
        factor=factor,
        seed_offset=SALIENT_SEED_OFFSET + 1,
    )
    return channels, factor


def rtn_w4(model: nn.Module, group_size: int = GROUP_SIZE) -> nn.Module:
    """Every Linear's weight replaced by its 4-bit asymmetric group-wise round-to-nearest
    (in place; returns the model)."""
    names = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    with torch.no_grad():
        return replace_weights(model, rtn_weights(model, names, group_size))
